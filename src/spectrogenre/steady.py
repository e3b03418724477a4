"""The steady-noise rule: a window whose sound does not change is noise (hiss, hum, fan, room tone), not music.

A classifier trained on music gives every input a genre, noise included, often a confident one.
Music changes from moment to moment in every part of its spectrum; stationary noise, whatever its
colour or level, does not. The measure: the window cut into frames of `frame_seconds` (rounded up
to a power of two of samples), the power in bands `band_hz` wide from `low_hz` to `high_hz`, each
band's level in dB over the frames, and its standard deviation over time; the window's steadiness
is the median of those over the bands within `span_db` of the loudest band. Wide bands average
many bins, so stationary noise measures about 0.5 dB at any colour and level (white, pink, brown,
mains hum); every one of 1,387 windows of real music (emotify-dev) measured at least 1.59 dB, and
of the synthetic demo library at least 0.95 dB (`python -m bench.steady_noise`). A window below
`below_db` is not classified, like a silent one; 0 turns the rule off (a library whose genres
include noise itself, or steady drones).

spec.json carries the rule (`steady_noise`), so predict, the server and the app (js/steady.js)
apply the same arithmetic.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

LEVEL_FLOOR = 1e-20  # power floor before the log: an empty band is -200 dB, far outside span_db of any sound


@dataclass(frozen=True)
class SteadyNoiseRule:
    below_db: float = 0.75
    band_hz: float = 1000.0
    low_hz: float = 1000.0
    high_hz: float = 8000.0
    frame_seconds: float = 0.128
    span_db: float = 60.0

    def frame_samples(self, sample_rate: int) -> int:
        """Samples per analysis frame: frame_seconds rounded up to a power of two (the app's FFT needs one)."""
        return 1 << max(1, math.ceil(math.log2(self.frame_seconds * sample_rate)))

    def band_bins(self, sample_rate: int) -> list[tuple[int, int]]:
        """Each band's FFT bins [first, stop): bin k is at k * sample_rate / frame_samples Hz."""
        n = self.frame_samples(sample_rate)
        top = min(self.high_hz, sample_rate / 2)
        count = max(0, math.floor((top - self.low_hz) / self.band_hz))
        edges = [self.low_hz + i * self.band_hz for i in range(count + 1)]
        return [(math.ceil(a * n / sample_rate), math.ceil(b * n / sample_rate)) for a, b in itertools.pairwise(edges)]


def steadiness_db(clip: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> float:
    """The window's steadiness (see the module doc): low for stationary noise, high for music; inf when it
    cannot be judged: under 2 frames, no band below the front end's Nyquist, or bands more than span_db
    below the whole window's level."""
    n = rule.frame_samples(sample_rate)
    frames = len(clip) // n
    bands = rule.band_bins(sample_rate)
    if frames < 2 or not bands:
        return math.inf
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)  # periodic Hann
    spectrum = np.fft.rfft(np.asarray(clip[: frames * n], np.float64).reshape(frames, n) * window, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    levels = 10 * np.log10(np.maximum(np.stack([power[:, a:b].sum(axis=1) for a, b in bands], axis=1), LEVEL_FLOOR))
    mean = levels.mean(axis=0)
    whole = float((10 * np.log10(np.maximum(power.sum(axis=1), LEVEL_FLOOR))).mean())
    if mean.max() < whole - rule.span_db:
        return math.inf  # the sound is all below low_hz (a bass line alone): the bands hold nothing to judge
    heard = mean >= mean.max() - rule.span_db
    return float(np.median(levels[:, heard].std(axis=0)))


def is_steady_noise(clip: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> bool:
    """Whether the rule (on: below_db > 0) calls this window stationary noise."""
    return rule.below_db > 0 and steadiness_db(clip, sample_rate, rule) < rule.below_db
