"""Signal primitives: oscillators, envelopes, filters and effects.

Every function is pure (the random ones draw only from the Generator they are given)
and works on float64 numpy arrays. Units: `sr` is the sample rate in Hz, times are
seconds, frequencies Hz, gains linear unless named `*_db`. Mono signals have shape
(n,), stereo signals shape (n, 2).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import soxr
from scipy import signal

TWO_PI = 2.0 * np.pi


# --- oscillators -------------------------------------------------------------------


def phase(freq: float | np.ndarray, n: int, sr: int, *, start: float = 0.0) -> np.ndarray:
    """Oscillator phase in cycles, wrapped to [0, 1), shape (n,).

    `freq` is a scalar or an (n,) array (glides, vibrato); `start` is the initial phase.
    """
    if np.ndim(freq) == 0:
        cycles = start + np.arange(n) * (float(freq) / sr)
    else:
        f = np.asarray(freq, dtype=float)
        cycles = np.empty(n)
        cycles[0] = 0.0
        np.cumsum(f[:-1] / sr, out=cycles[1:])
        cycles += start
    return cycles - np.floor(cycles)


def _polyblep(ph: np.ndarray, dt: np.ndarray | float) -> np.ndarray:
    """Polynomial band-limited step residual for a unit jump at phase 0.

    Subtracting it from a naive saw removes most of the aliasing that would otherwise
    fold back as inharmonic hiss, at the cost of two masked polynomial evaluations.
    """
    dt = np.broadcast_to(dt, ph.shape)
    out = np.zeros_like(ph)
    lo = ph < dt
    x = ph[lo] / dt[lo]
    out[lo] = 2.0 * x - x * x - 1.0
    hi = ph > 1.0 - dt
    x = (ph[hi] - 1.0) / dt[hi]
    out[hi] = x * x + 2.0 * x + 1.0
    return out


def sine(freq: float | np.ndarray, n: int, sr: int, *, start: float = 0.0) -> np.ndarray:
    """Sine wave, shape (n,), amplitude 1."""
    return np.sin(TWO_PI * phase(freq, n, sr, start=start))


def saw(freq: float | np.ndarray, n: int, sr: int, *, start: float = 0.0) -> np.ndarray:
    """Band-limited (PolyBLEP) rising sawtooth, shape (n,), amplitude 1."""
    ph = phase(freq, n, sr, start=start)
    dt = np.asarray(freq, dtype=float) / sr
    return 2.0 * ph - 1.0 - _polyblep(ph, dt)


def square(freq: float | np.ndarray, n: int, sr: int, *, start: float = 0.0,
           duty: float = 0.5) -> np.ndarray:
    """Band-limited pulse wave with the given duty cycle, shape (n,), amplitude 1."""
    ph = phase(freq, n, sr, start=start)
    dt = np.asarray(freq, dtype=float) / sr
    naive = np.where(ph < duty, 1.0, -1.0)
    shifted = ph - duty
    shifted -= np.floor(shifted)
    return naive + _polyblep(ph, dt) - _polyblep(shifted, dt)


def triangle(freq: float | np.ndarray, n: int, sr: int, *, start: float = 0.0) -> np.ndarray:
    """Triangle wave, shape (n,), amplitude 1 (naive: its harmonics fall fast enough)."""
    return 1.0 - 4.0 * np.abs(phase(freq, n, sr, start=start) - 0.5)


def harmonic_table(levels: dict[int, float], *, size: int = 2048) -> np.ndarray:
    """One period (size,) of a sum of sine harmonics {harmonic number: amplitude}."""
    x = np.arange(size) / size
    return sum(a * np.sin(TWO_PI * k * x) for k, a in levels.items())


def wavetable(table: np.ndarray, freq: float | np.ndarray, n: int, sr: int, *, start: float = 0.0) -> np.ndarray:
    """Play one period `table` (size,) at `freq` Hz with linear interpolation, shape (n,).

    Costs a table lookup instead of one sine per harmonic: additive timbres for free.
    """
    size = len(table)
    wrapped = np.append(table, table[0])
    pos = phase(freq, n, sr, start=start) * size
    index = pos.astype(np.intp)
    frac = pos - index
    return wrapped[index] + frac * (wrapped[index + 1] - wrapped[index])


def vibrato(freq: float, n: int, sr: int, *, rate: float, depth: float,
            start: float = 0.0) -> np.ndarray:
    """Frequency track (n,) Hz: `freq` modulated by `depth` (fraction, e.g. 0.004) at `rate` Hz."""
    return freq * (1.0 + depth * np.sin(TWO_PI * (rate * np.arange(n) / sr + start)))


def noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """White Gaussian noise, shape (n,), unit variance."""
    return rng.standard_normal(n)


# --- envelopes ---------------------------------------------------------------------


def adsr(n: int, sr: int, *, attack: float, decay: float = 0.0, sustain: float = 1.0,
         release: float = 0.05) -> np.ndarray:
    """Linear attack-decay-sustain-release envelope of total length n samples, shape (n,).

    The release is placed at the end so that the envelope reaches 0 at sample n.
    """
    total = n / sr
    release = min(release, total)
    hold_end = max(total - release, 0.0)
    attack = min(attack, hold_end) if hold_end > 0 else 0.0
    decay_end = min(attack + decay, hold_end)
    times = [0.0, attack, decay_end, hold_end, total]
    level_after_decay = 1.0 - (1.0 - sustain) * ((decay_end - attack) / decay if decay > 0 else 1.0)
    values = [0.0 if attack > 0 else 1.0, 1.0, level_after_decay, level_after_decay, 0.0]
    return np.interp(np.arange(n) / sr, times, values)


def exp_decay(n: int, sr: int, *, tau: float) -> np.ndarray:
    """exp(-t / tau), shape (n,): the natural decay of struck and plucked sounds."""
    return np.exp(-np.arange(n) / (sr * tau))


def fades(n: int, sr: int, *, fade_in: float, fade_out: float) -> np.ndarray:
    """Gain (n,) rising linearly over `fade_in` s and falling over the last `fade_out` s."""
    t = np.arange(n) / sr
    up = np.clip(t / fade_in, 0.0, 1.0) if fade_in > 0 else np.ones(n)
    down = np.clip((n / sr - t) / fade_out, 0.0, 1.0) if fade_out > 0 else np.ones(n)
    return up * down


# --- filters -----------------------------------------------------------------------


def _clamp_hz(freq: float, sr: int) -> float:
    # Round so that nearby cutoffs share one cached design; stay clear of Nyquist.
    return round(float(np.clip(freq, 5.0, 0.45 * sr)), 1)


@lru_cache(maxsize=2048)
def _butter(btype: str, cutoff: float | tuple[float, float], sr: int, order: int) -> np.ndarray:
    return signal.butter(order, cutoff, btype=btype, fs=sr, output="sos")


def butter_sos(btype: str, cutoff: float, sr: int, *, order: int = 2) -> np.ndarray:
    """Second-order sections of a Butterworth 'lowpass' or 'highpass' at `cutoff` Hz."""
    return _butter(btype, _clamp_hz(cutoff, sr), sr, order)


def chain(x: np.ndarray, *sections: np.ndarray) -> np.ndarray:
    """Run x (along axis 0) through several filters' sections in one pass.

    One sosfilt call with k sections costs about the same as one with a single
    section (memory traffic dominates), so cascades are merged.
    """
    return signal.sosfilt(np.concatenate(sections), x, axis=0)


def lowpass(x: np.ndarray, cutoff: float, sr: int, *, order: int = 2) -> np.ndarray:
    """Butterworth low-pass along axis 0."""
    return chain(x, butter_sos("lowpass", cutoff, sr, order=order))


def highpass(x: np.ndarray, cutoff: float, sr: int, *, order: int = 2) -> np.ndarray:
    """Butterworth high-pass along axis 0."""
    return chain(x, butter_sos("highpass", cutoff, sr, order=order))


def bandpass(x: np.ndarray, low: float, high: float, sr: int, *, order: int = 2) -> np.ndarray:
    """Butterworth band-pass between `low` and `high` Hz along axis 0."""
    lo, hi = _clamp_hz(low, sr), _clamp_hz(high, sr)
    if hi <= lo * 1.01:
        hi = _clamp_hz(lo * 1.2, sr)
        lo = hi / 1.2
    return chain(x, _butter("bandpass", (lo, hi), sr, order))


@lru_cache(maxsize=2048)
def _biquad(kind: str, freq: float, sr: int, q: float, gain_db: float) -> np.ndarray:
    """One second-order section from the RBJ audio-EQ cookbook, as an sos row (1, 6)."""
    w0 = TWO_PI * freq / sr
    cos_w, alpha = np.cos(w0), np.sin(w0) / (2.0 * q)
    amp = 10.0 ** (gain_db / 40.0)
    if kind == "lowpass":
        b = [(1 - cos_w) / 2, 1 - cos_w, (1 - cos_w) / 2]
        a = [1 + alpha, -2 * cos_w, 1 - alpha]
    elif kind == "bandpass":  # constant 0 dB peak gain
        b = [alpha, 0.0, -alpha]
        a = [1 + alpha, -2 * cos_w, 1 - alpha]
    elif kind == "peak":
        b = [1 + alpha * amp, -2 * cos_w, 1 - alpha * amp]
        a = [1 + alpha / amp, -2 * cos_w, 1 - alpha / amp]
    elif kind in ("lowshelf", "highshelf"):
        sign = 1.0 if kind == "lowshelf" else -1.0
        root = 2.0 * np.sqrt(amp) * alpha
        b = [amp * ((amp + 1) - sign * (amp - 1) * cos_w + root),
             sign * 2 * amp * ((amp - 1) - sign * (amp + 1) * cos_w),
             amp * ((amp + 1) - sign * (amp - 1) * cos_w - root)]
        a = [(amp + 1) + sign * (amp - 1) * cos_w + root,
             -sign * 2 * ((amp - 1) + sign * (amp + 1) * cos_w),
             (amp + 1) + sign * (amp - 1) * cos_w - root]
    else:
        raise ValueError(f"unknown biquad kind {kind!r}")
    b, a = np.array(b) / a[0], np.array(a) / a[0]
    return np.concatenate([b, a])[None, :]


def biquad_sos(kind: str, freq: float, sr: int, *, q: float = 0.707, gain_db: float = 0.0) -> np.ndarray:
    """One RBJ section (1, 6): 'lowpass', 'bandpass', 'peak', 'lowshelf' or 'highshelf'."""
    return _biquad(kind, _clamp_hz(freq, sr), sr, round(q, 3), round(gain_db, 2))


def biquad(x: np.ndarray, kind: str, freq: float, sr: int, *, q: float = 0.707,
           gain_db: float = 0.0) -> np.ndarray:
    """Apply one RBJ biquad (see biquad_sos) along axis 0."""
    return chain(x, biquad_sos(kind, freq, sr, q=q, gain_db=gain_db))


def tilt(x: np.ndarray, sr: int, *, db: float) -> np.ndarray:
    """Tilt EQ: +db/2 above ~2.5 kHz and -db/2 below ~250 Hz (positive = brighter)."""
    return chain(x, biquad_sos("highshelf", 2500.0, sr, gain_db=db / 2),
                 biquad_sos("lowshelf", 250.0, sr, gain_db=-db / 2))


def formant_filter(x: np.ndarray, formants: tuple[float, ...], sr: int, *,
                   q: float = 6.0, gains: tuple[float, ...] = (1.0, 0.6, 0.35)) -> np.ndarray:
    """Sum of band-passes at the formant frequencies: the vocal tract of a vowel."""
    return sum(g * biquad(x, "bandpass", f, sr, q=q) for f, g in zip(formants, gains))


def swept_lowpass(x: np.ndarray, cutoff: np.ndarray, sr: int, *, q: float = 3.0,
                  bands: int = 10) -> np.ndarray:
    """Resonant low-pass whose cutoff follows the (n,) array `cutoff` (Hz).

    A true time-varying IIR needs a per-sample Python loop; instead we run a bank of
    fixed resonant low-passes at log-spaced cutoffs and crossfade between the two
    neighbours of the requested cutoff, which sounds the same for LFO-speed sweeps.
    """
    centres = np.geomspace(max(cutoff.min(), 20.0), max(cutoff.max(), 40.0), bands)
    position = np.interp(np.log(cutoff), np.log(centres), np.arange(bands))
    index = np.minimum(position.astype(int), bands - 2)
    frac = position - index
    out = np.zeros_like(x)
    for band, centre in enumerate(centres):
        weight = np.where(index == band, 1.0 - frac, 0.0) + np.where(index == band - 1, frac, 0.0)
        if weight.any():
            out += weight * biquad(x, "lowpass", centre, sr, q=q)
    return out


# --- non-linearities and effects ----------------------------------------------------


def overdrive(x: np.ndarray, *, drive: float, bias: float = 0.0) -> np.ndarray:
    """tanh waveshaper; `drive` is the input gain, `bias` adds even harmonics (tube-like).

    The DC offset that `bias` would leave is removed so the output stays centred.
    """
    return np.tanh(drive * x + bias) - np.tanh(bias)


def bitcrush(x: np.ndarray, *, bits: int) -> np.ndarray:
    """Quantise to `bits` bits: the grainy texture of an old sampler."""
    steps = 2.0 ** (bits - 1)
    return np.round(x * steps) / steps


def echo(x: np.ndarray, sr: int, *, delay: float, feedback: float, repeats: int = 4) -> np.ndarray:
    """Wet signal of a feedback delay: copies at k*delay with gain feedback**k, k = 1..repeats."""
    out = np.zeros_like(x)
    step = int(round(delay * sr))
    for k in range(1, repeats + 1):
        shift = k * step
        if shift >= len(x):
            break
        out[shift:] += feedback**k * x[:-shift]
    return out


def reverb(x: np.ndarray, sr: int, rng: np.random.Generator, *, seconds: float,
           damping: float = 4000.0) -> np.ndarray:
    """Stereo wet reverb (n, 2) of a mono signal: convolution with decaying noise.

    Two independent noise impulse responses decorrelate left and right; `seconds` is
    the RT60 and `damping` (Hz) darkens the tail like air absorption in a hall.
    """
    m = max(int(seconds * sr), 16)
    t = np.arange(m) / sr
    ir = rng.standard_normal((m, 2)) * np.exp(-6.9 * t / seconds)[:, None]
    ir = lowpass(ir, damping, sr, order=1)
    ir /= np.sqrt(np.sum(ir**2, axis=0, keepdims=True))
    return signal.oaconvolve(x[:, None], ir, axes=0)[: len(x)]


def pan_gains(position: float) -> tuple[float, float]:
    """Constant-power (left, right) gains; position -1 = left, 0 = centre, +1 = right."""
    angle = (float(np.clip(position, -1.0, 1.0)) + 1.0) * np.pi / 4.0
    return float(np.cos(angle)), float(np.sin(angle))


def resample(x: np.ndarray, sr_in: int, sr_out: int, *, n: int) -> np.ndarray:
    """Resample along axis 0 from sr_in to sr_out and cut/pad to exactly n samples.

    Stems whose content is band-limited anyway are rendered at a low rate and brought
    up to the file's rate here, which makes synthesis several times cheaper.
    """
    y = x if sr_in == sr_out else soxr.resample(x, sr_in, sr_out)
    if len(y) >= n:
        return y[:n]
    pad = [(0, n - len(y))] + [(0, 0)] * (y.ndim - 1)
    return np.pad(y, pad)


def db_to_gain(db: float | np.ndarray) -> float | np.ndarray:
    """Linear gain of a level in dB."""
    return 10.0 ** (np.asarray(db, dtype=float) / 20.0)
