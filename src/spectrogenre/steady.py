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

Noise that changes (crackle, clicks, bursts, knocks, a crowd's murmur) is not steady. The second
rule catches it: music has pitch. In the same frames, a bin of the spectrum from `tonal_low_hz` to
`tonal_high_hz` is a tonal peak when its power is `peak_db` (10 dB) above the median of the bins
within `peak_span_hz` around it. The power of a noise bin is exponentially distributed, so noise of
any colour, level or rhythm has such peaks by chance, in about 0.2 % of its bins; music has them in
0.6 % and more (a note's harmonics stand 20 to 40 dB above the spectrum between them; dense
electronic music's fewest). A window whose share of peaks is below `tonal_below` (0.3 %) is noise.
20 dB peaks would set noise at 0, but dense electronic music has almost none either. Speech has pitch
too: it is not noise to this rule.

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
    tonal_below: float = 0.003  # a window with a smaller share of tonal peaks is noise; 0: that rule off
    tonal_low_hz: float = 100.0
    tonal_high_hz: float = 5000.0
    peak_db: float = 10.0
    peak_span_hz: float = 240.0

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


def _frame_power(clip: np.ndarray, n: int) -> np.ndarray:
    """Power spectrum (frames, n // 2 + 1) of consecutive periodic-Hann frames of n samples, in float64."""
    frames = len(clip) // n
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)  # periodic Hann
    spectrum = np.fft.rfft(np.asarray(clip[: frames * n], np.float64).reshape(frames, n) * window, axis=1)
    return spectrum.real**2 + spectrum.imag**2


def tonal_share(clip: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> float:
    """Share of the window's bins from tonal_low_hz to tonal_high_hz that stand peak_db above the median of
    the bins within peak_span_hz around them (see the module doc): about 0.002 for noise, 0.006 and more for
    music; inf when it cannot be judged (under one frame, or too few bins below Nyquist)."""
    return _tonal_share(_frame_power(clip, rule.frame_samples(sample_rate)), sample_rate, rule)


def steadiness_db(clip: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> float:
    """The window's steadiness (see the module doc): low for stationary noise and held tones, high for
    music; 0 when the bands hold no sound within span_db of the whole window's level; inf when it
    cannot be judged (under 2 frames, or no band below the front end's Nyquist)."""
    return _steadiness_db(_frame_power(clip, rule.frame_samples(sample_rate)), sample_rate, rule)


def is_steady_noise(clip: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> bool:
    """Whether the rule (on: below_db > 0) calls this window stationary noise."""
    return rule.below_db > 0 and steadiness_db(clip, sample_rate, rule) < rule.below_db


def is_noise(clip: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> bool:
    """Whether the window is stationary noise, or has no pitch (tonal_below > 0): noise either way. Both
    measures read the same frames' spectra, computed once."""
    if rule.below_db <= 0 and rule.tonal_below <= 0:
        return False
    power = _frame_power(clip, rule.frame_samples(sample_rate))
    return (rule.below_db > 0 and _steadiness_db(power, sample_rate, rule) < rule.below_db) or (
        rule.tonal_below > 0 and _tonal_share(power, sample_rate, rule) < rule.tonal_below)


def _tonal_share(power: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> float:
    """tonal_share of the frames' power spectra (_frame_power)."""
    n = rule.frame_samples(sample_rate)
    half = int(round(rule.peak_span_hz / 2 * n / sample_rate))  # bins each side of the one judged
    # the bins judged, each with `half` bins of the spectrum on either side
    first = max(math.ceil(rule.tonal_low_hz * n / sample_rate), half)
    stop = min(math.ceil(rule.tonal_high_hz * n / sample_rate), n // 2 + 1 - half)
    if len(power) < 1 or stop <= first:
        return math.inf
    power = power[:, first - half: stop + half]
    around = np.lib.stride_tricks.sliding_window_view(power, 2 * half + 1, axis=1)  # (frames, stop - first, 2 half + 1)
    median = np.partition(around, half, axis=2)[:, :, half]
    return float(np.mean(power[:, half: power.shape[1] - half] > median * 10 ** (rule.peak_db / 10)))


def _steadiness_db(power: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> float:
    """steadiness_db of the frames' power spectra (_frame_power)."""
    bands = rule.band_bins(sample_rate)
    if len(power) < 2 or not bands:
        return math.inf
    levels = 10 * np.log10(np.maximum(np.stack([power[:, a:b].sum(axis=1) for a, b in bands], axis=1), LEVEL_FLOOR))
    mean = levels.mean(axis=0)
    whole = float((10 * np.log10(np.maximum(power.sum(axis=1), LEVEL_FLOOR))).mean())
    if mean.max() < whole - rule.span_db:
        return 0.0  # the sound is all outside the bands (infrasound, a constant offset): nothing a person hears
    heard = mean >= mean.max() - rule.span_db
    return float(np.median(levels[:, heard].std(axis=0)))
