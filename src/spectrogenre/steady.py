"""The noise rules: a window whose sound does not change is noise (hiss, hum, fan, room tone), not music; so is
one with no pitch (crackle, clicks, bursts), and one of one or two tones (beeps, sirens, phone tones).

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

Signal tones are neither steady nor short of pitch: beeps, an alarm clock, sirens, a phone's tones (DTMF
digits, the ring, the busy signal) switch and sweep, and their lines stand 40 dB and more over the
spectrum between them; a classifier gives them confident genres. The third rule, the tone rule: a signal
is one or two tones, and nothing else. In each loud frame (within `loud_db` of the window's loudest, over
the no-pitch rule's bins and medians), the lines are the runs of tonal peaks one of which stands `line_db`
(15 dB) over the median around it, within `line_span_db` (50 dB) of the frame's strongest: a noise bin
stands 15 dB over its neighbours' median in about one bin in a few billion (2^-31.6), so noise under a
tone adds none, and a 16-bit sine's rounding (60 dB down and more) none either. A frame is a tone frame
when the bins within `tone_bins` of its lines hold `tone_held` (80 %) of its energy (nothing broadband),
and it holds at most two lines (pure tones: beeps, DTMF, a siren), or all its lines within
`harmonic_span_db` (20 dB) of its strongest are harmonics (within `tone_tolerance_hz`) of the window's
fixed tones: the strongest peak of the loud frames' summed spectrum and the strongest that is not its
harmonic, those above `tone_low_hz` (a bass line is no signal), when their harmonics hold `tone_gate`
(80 %) of the window's energy (a square-wave beeper, a two-tone horn). Any other loud frame is rich; a window
whose share of rich frames is below `rich_below` (0.15) is signal tones: noise. Music, however sparse, has
more going on: notes that ring on under the next (a music box, a piano, plucked strings: 3 to 5 lines), a
melody moving its overtones from pitch to pitch (a flute), chords, drums, an accompaniment at any level.
Measured (`python -m bench.steady_noise`): the signal tones at most 0.02 at either rate, plain or with
white noise 30 dB under them; signals the rule was not tuned on (SIT tones, a smoke alarm, Morse code,
beeps at random pitches, a car horn, a doorbell) at most 0.081; the sparse music of tests/test_steady.py at
least 0.93; every window of real music at least 0.32 at 16 kHz (emotify-dev's electronic, a bass and
sparse hits; 1st percentile of each genre at least 0.51) and 0.51 at 22.05 kHz, the demo library at least
0.59: none called noise by this rule.

Where the line falls: pure tones one at a time at a constant level are a signal whatever their pitches (a
tune on a sine-wave beeper, or whistled, is one: tones that overlap, ring on or have overtones make
music); a tone with overtones at two pitches only is one (a two-tone horn; a melody of such tones is music
unless two of its pitches hold 80 % of its energy, and then only its frames on those two count as tone
frames). Not caught: a siren sweeping so fast that its line smears over a frame (a yelp, a few sweeps a
second: the no-pitch rule catches the bench's), a fixed tone below 250 Hz (a buzzer), tones under noise
loud enough to hold a fifth of the energy, and a square wave computed with aliasing at the front end's own
rate (its aliases are tones of their own; the same wave written at 44.1 kHz and decoded is caught).

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
    rich_below: float = 0.15  # a window with a smaller share of rich frames is signal tones; 0: that rule off
    loud_db: float = 15.0  # the frames judged: within loud_db of the window's loudest
    line_db: float = 15.0  # a line: a run of tonal peaks, one of them line_db over the median around it
    line_span_db: float = 50.0  # the lines that count: within line_span_db of the frame's strongest
    tone_held: float = 0.8  # a tone frame: its lines hold this share of its energy (within tone_bins of them)
    tone_bins: int = 3
    harmonic_span_db: float = 20.0  # the lines of a tone frame of fixed tones: within this of its strongest line
    tone_low_hz: float = 250.0  # fixed tones below this are not signals (a bass line)
    tone_tolerance_hz: float = 25.0  # how far a line may lie from a fixed tone's harmonic and still be one
    tone_gate: float = 0.8  # fixed tones are the window's only if their harmonics hold this share of its energy

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


def rich_share(clip: np.ndarray, sample_rate: int, rule: SteadyNoiseRule) -> float:
    """Share of the window's loud frames that are rich: more than one or two tones, or anything besides tones
    (see the module doc): 0 for beeps, sirens and phone tones, 0.3 and more for music; inf when it cannot be
    judged (under one frame, too few bins below Nyquist, or no sound from tonal_low_hz to tonal_high_hz)."""
    return _rich_share(_frame_power(clip, rule.frame_samples(sample_rate)), sample_rate, rule)


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
    """Whether the window is stationary noise, has no pitch (tonal_below > 0), or is signal tones (rich_below
    > 0): noise either way. The measures read the same frames' spectra, computed once, and the last two the
    same medians around each bin."""
    if rule.below_db <= 0 and rule.tonal_below <= 0 and rule.rich_below <= 0:
        return False
    power = _frame_power(clip, rule.frame_samples(sample_rate))
    if rule.below_db > 0 and _steadiness_db(power, sample_rate, rule) < rule.below_db:
        return True
    if rule.tonal_below <= 0 and rule.rich_below <= 0:
        return False
    floor = _peak_floor(power, sample_rate, rule)
    return (rule.tonal_below > 0 and _tonal_share(power, sample_rate, rule, floor) < rule.tonal_below) or (
        rule.rich_below > 0 and _rich_share(power, sample_rate, rule, floor) < rule.rich_below)


def _peak_floor(power: np.ndarray, sample_rate: int, rule: SteadyNoiseRule):
    """The frames' bins from tonal_low_hz to tonal_high_hz, (frames, bins), the median of the bins within
    peak_span_hz around each, and the index of the first; None when they cannot be judged (no frame, or too
    few bins below Nyquist)."""
    n = rule.frame_samples(sample_rate)
    half = int(round(rule.peak_span_hz / 2 * n / sample_rate))  # bins each side of the one judged
    # the bins judged, each with `half` bins of the spectrum on either side
    first = max(math.ceil(rule.tonal_low_hz * n / sample_rate), half)
    stop = min(math.ceil(rule.tonal_high_hz * n / sample_rate), n // 2 + 1 - half)
    if len(power) < 1 or stop <= first:
        return None
    power = power[:, first - half: stop + half]
    around = np.lib.stride_tricks.sliding_window_view(power, 2 * half + 1, axis=1)  # (frames, stop - first, 2 half + 1)
    median = np.partition(around, half, axis=2)[:, :, half]
    return power[:, half: power.shape[1] - half], median, first


def _tonal_share(power: np.ndarray, sample_rate: int, rule: SteadyNoiseRule, floor=False) -> float:
    """tonal_share of the frames' power spectra (_frame_power); `floor`: their _peak_floor, if computed."""
    floor = _peak_floor(power, sample_rate, rule) if floor is False else floor
    if floor is None:
        return math.inf
    core, median, _ = floor
    return float(np.mean(core > median * 10 ** (rule.peak_db / 10)))


def _vertex(row: np.ndarray, k: int) -> float:
    """Where the peak at bin k of `row` lies, in bins from k: the vertex of the parabola through the log
    powers of bins k - 1, k, k + 1 (0 at either end of the row, or where they do not bend down)."""
    if k <= 0 or k >= len(row) - 1:
        return 0.0
    low, mid, high = (math.log(max(float(row[j]), LEVEL_FLOOR)) for j in (k - 1, k, k + 1))
    bend = low - 2 * mid + high
    return 0.5 * (low - high) / bend if bend < 0 else 0.0


def _harmonic(f: float, f0: float, tolerance: float) -> bool:
    """Whether frequency f lies within `tolerance` of a harmonic (the 1st included) of f0 (same unit)."""
    m = math.floor(f / f0 + 0.5)
    return m >= 1 and abs(f - m * f0) <= tolerance


def _fixed_tones(core: np.ndarray, first: int, n: int, sample_rate: int, rule: SteadyNoiseRule) -> list[float]:
    """The window's fixed tones, in bins (see the module doc): the strongest peak of the frames' summed
    spectrum and the strongest that is not its harmonic, those above tone_low_hz, when their harmonics
    (within tone_bins) hold tone_gate of the window's energy; none otherwise."""
    total = core.sum(axis=0)
    tolerance = rule.tone_tolerance_hz * n / sample_rate
    tones: list[float] = []
    for k in np.argsort(-total, kind="stable"):
        if len(tones) == 2 or total[k] <= 0:
            break
        f = first + int(k) + _vertex(total, int(k))
        if not any(_harmonic(f, f0, tolerance) for f0 in tones):
            tones.append(f)
    tones = [f0 for f0 in tones if f0 * sample_rate / n >= rule.tone_low_hz]
    near = np.zeros(len(total), bool)
    for f0 in tones:
        for m in range(1, math.floor((first + len(total) + rule.tone_bins) / f0) + 1):
            c = math.floor(m * f0 + 0.5) - first
            near[max(0, c - rule.tone_bins): max(0, c + rule.tone_bins + 1)] = True
    return tones if tones and total[near].sum() >= rule.tone_gate * total.sum() else []


def _rich_share(power: np.ndarray, sample_rate: int, rule: SteadyNoiseRule, floor=False) -> float:
    """rich_share of the frames' power spectra (_frame_power); `floor`: their _peak_floor, if computed."""
    floor = _peak_floor(power, sample_rate, rule) if floor is False else floor
    if floor is None:
        return math.inf
    core, median, first = floor
    energy = core.sum(axis=1)
    if energy.max() <= 0:
        return math.inf  # no sound from tonal_low_hz to tonal_high_hz
    loud = energy >= energy.max() * 10 ** (-rule.loud_db / 10)
    core, median, energy = core[loud], median[loud], energy[loud]
    frames, bins = core.shape
    peak = core > median * 10 ** (rule.peak_db / 10)
    strong = peak & (core > median * 10 ** (rule.line_db / 10))
    # each frame's runs of tonal peaks, as [start, stop) in the flattened (frames, bins)
    edge = np.zeros((frames, 1), bool)
    starts = np.flatnonzero(peak & ~np.concatenate([edge, peak[:, :-1]], axis=1))
    stops = np.flatnonzero(peak & ~np.concatenate([peak[:, 1:], edge], axis=1)) + 1
    peaks = np.where(peak, core, 0.0)
    top = np.maximum.reduceat(peaks.ravel(), starts) if len(starts) else np.zeros(0)  # each run's top
    holds_strong = np.logical_or.reduceat(strong.ravel(), starts) if len(starts) else np.zeros(0, bool)
    row = starts // bins
    kept = top >= peaks.max(axis=1)[row] * 10 ** (-rule.line_span_db / 10)
    lines = np.bincount(row[kept & holds_strong], minlength=frames)
    # the energy within tone_bins of the kept runs, frame by frame
    low = np.maximum(starts[kept] - rule.tone_bins, row[kept] * bins)
    high = np.minimum(stops[kept] + rule.tone_bins, (row[kept] + 1) * bins)
    near = np.cumsum(np.bincount(low, minlength=frames * bins + 1) - np.bincount(high, minlength=frames * bins + 1))
    held = (core.ravel() * (near[:-1] > 0)).reshape(frames, bins).sum(axis=1) >= rule.tone_held * energy
    tone = held & (lines <= 2)
    fixed = held & (lines > 2)  # tone frames if their lines are the fixed tones' harmonics
    n = rule.frame_samples(sample_rate)
    tones = _fixed_tones(core, first, n, sample_rate, rule) if fixed.any() else []
    if tones:
        tolerance = rule.tone_tolerance_hz * n / sample_rate
        counted = kept & holds_strong
        for t in np.flatnonzero(fixed):
            tops = [a + int(np.argmax(core[t, a:b])) for a, b in zip(starts[counted & (row == t)] - t * bins,
                                                                         stops[counted & (row == t)] - t * bins)]
            strongest = max(core[t, k] for k in tops)
            tone[t] = all(any(_harmonic(first + k + _vertex(core[t], k), f0, tolerance) for f0 in tones)
                          for k in tops if core[t, k] >= strongest * 10 ** (-rule.harmonic_span_db / 10))
    return float(np.mean(~tone))


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
