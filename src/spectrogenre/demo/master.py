"""Mastering: from a recipe's music to the samples that go into the file.

Tilt EQ, fade-out, optional silent breaks, soft limiting, downmix, peak normalisation
to the album's level, and the near-silent lead-in/lead-out that separate tracks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spectrogenre.demo import synth


def soft_limit(x: np.ndarray, *, knee: float) -> np.ndarray:
    """Scale x to peak 1, then bend everything above `knee` (0..1) smoothly towards 1.

    A cheap stand-in for a mastering limiter: lower knees give denser, louder masters.
    """
    y = x * (1.0 / max(np.max(np.abs(x)), 1e-12))
    over = np.abs(y) > knee  # usually a few percent of the samples: work on those only
    peaks = y[over]
    y[over] = np.sign(peaks) * (knee + (1.0 - knee) * np.tanh((np.abs(peaks) - knee) / (1.0 - knee)))
    return y


def gate(n: int, sr: int, breaks: Sequence[tuple[float, float]], *, ramp: float = 0.005) -> np.ndarray:
    """Gain (n,) that is 0 during each (start_s, length_s) break, with short ramps."""
    g = np.ones(n)
    t = np.arange(n) / sr
    for start, length in breaks:
        inside = np.clip(np.minimum(t - start, start + length - t) / ramp, 0.0, 1.0)
        g *= 1.0 - inside
    return g


def master(music: np.ndarray, *, sr: int, out_sr: int, rng: np.random.Generator, tilt_db: float, knee: float,
           level_db: float, lead_in: float, lead_out: float, fade_out: float,
           breaks: Sequence[tuple[float, float]] = (), channels: int = 2,
           floor_db: float = -80.0, digital_gaps: bool = True) -> np.ndarray:
    """Finished track at `out_sr`, float32 (m, channels), peak `level_db` dBFS (< 0).

    music: (n, 2) at `sr`. lead_in/lead_out: seconds of silence added before/after.
    fade_out: seconds over which the music fades at its end. breaks: (start_s,
    length_s) silences inside the music. floor_db: RMS level of the white noise floor
    (recording noise, dither) under the music; keep it below -75 so that its peaks stay
    under -60 dBFS. digital_gaps: lead-in/out are exact zeros (a CD rip) rather than
    the noise floor (a tape transfer).
    """
    n = len(music)
    y = synth.tilt(music, sr, db=tilt_db)
    y = y * (synth.fades(n, sr, fade_in=0.01, fade_out=fade_out) * gate(n, sr, breaks))[:, None]
    y = soft_limit(y, knee=knee)
    if channels == 1:
        y = y.mean(axis=1, keepdims=True)
    # float32 from here on: it is what gets written, and halves the memory traffic.
    # Resample before normalising: band-limited interpolation can overshoot the old peak.
    y = synth.resample(y.astype(np.float32), sr, out_sr, n=int(round(n * out_sr / sr)))
    start = int(round(lead_in * out_sr))
    out = np.zeros((start + len(y) + int(round(lead_out * out_sr)), channels), dtype=np.float32)
    out[start:start + len(y)] = y * np.float32(synth.db_to_gain(level_db) / max(np.max(np.abs(y)), 1e-12))
    # Real recordings never reach digital zero, synthesised ones do (above every stem's
    # low-pass, in breaks): the floor keeps log spectrograms free of -inf-like holes.
    # One second of noise, repeated: inaudible at this level and far cheaper than minutes of it.
    block = (synth.db_to_gain(floor_db) * rng.standard_normal((out_sr, channels))).astype(np.float32)
    noisy = slice(start, start + len(y)) if digital_gaps else slice(0, len(out))
    length = noisy.stop - noisy.start
    out[noisy] += np.tile(block, (-(-length // out_sr), 1))[:length]
    return out
