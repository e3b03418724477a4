"""The steady-noise rule: a window whose sound does not change is noise (hiss, hum, fan, room tone), not music.

A classifier trained on music gives every input a genre, noise included, often a confident one.
Music changes from moment to moment in every part of its spectrum; stationary noise, whatever its
colour or level, does not, and neither does a held test tone. The measure: the window cut into
frames of `frame_seconds` (rounded up to a power of two of samples), the power in one bass band
from `floor_hz` to `low_hz` and in bands `band_hz` wide from `low_hz` to `high_hz`, each band's
level in dB over the frames, and its standard deviation over time; the window's steadiness is the
median of those over the bands within `span_db` of the loudest band. Wide bands average many bins,
so stationary noise measures about 0.5 dB at any colour and level (white, pink, brown, mains hum),
a steady tone 0 dB at any pitch; every one of 1,387 windows of real music (emotify-dev) measured
at least 1.58 dB, and of the synthetic demo library at least 1.04 dB (`python -m bench.steady_noise`).
A window below `below_db` is not classified, like a silent one; 0 turns the rule off (a library
whose genres include noise itself, or steady drones). A window with no sound in the bands at all
(infrasound, or only above `high_hz`) measures 0: nothing there to classify.

Noise confined to a narrow band (a low rumble below a few hundred Hz) is not caught: a band holding
few FFT bins varies by a dB or more even when the noise is stationary, as much as quiet music does.

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
    floor_hz: float = 20.0  # the bass band's lower edge: the bottom of hearing
    band_hz: float = 1000.0
    low_hz: float = 1000.0
    high_hz: float = 8000.0
    frame_seconds: float = 0.128
    span_db: float = 60.0

    def frame_samples(self, sample_rate: int) -> int:
        """Samples per analysis frame: frame_seconds rounded up to a power of two (the app's FFT needs one)."""
        return 1 << max(1, math.ceil(math.log2(self.frame_seconds * sample_rate)))

    def band_bins(self, sample_rate: int) -> list[tuple[int, int]]:
        """Each band's FFT bins [first, stop): bin k is at k * sample_rate / frame_samples Hz. The bass
        band [floor_hz, low_hz) first, then the bands band_hz wide from low_hz; none past Nyquist."""
        n = self.frame_samples(sample_rate)
        top = min(self.high_hz, sample_rate / 2)
        count = max(0, math.floor((top - self.low_hz) / self.band_hz))
        edges = [self.low_hz + i * self.band_hz for i in range(count + 1)]
        bass_top = min(self.low_hz, sample_rate / 2)
        bass = [(self.floor_hz, bass_top)] if self.floor_hz < bass_top else []
        return [(math.ceil(a * n / sample_rate), math.ceil(b * n / sample_rate))
                for a, b in bass + list(itertools.pairwise(edges))]


def steadiness_db(clip: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> float:
    """The window's steadiness (see the module doc): low for stationary noise and held tones, high for
    music; 0 when the bands hold no sound within span_db of the whole window's level; inf when it
    cannot be judged (under 2 frames, or no band below the front end's Nyquist)."""
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
        return 0.0  # the sound is all outside the bands (infrasound, a constant offset): nothing a person hears
    heard = mean >= mean.max() - rule.span_db
    return float(np.median(levels[:, heard].std(axis=0)))


def is_steady_noise(clip: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> bool:
    """Whether the rule (on: below_db > 0) calls this window stationary noise."""
    return rule.below_db > 0 and steadiness_db(clip, sample_rate, rule) < rule.below_db
