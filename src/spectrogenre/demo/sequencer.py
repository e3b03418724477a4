"""Musical time to sample positions: tempo and swing, step patterns, note placement.

Beats are quarter notes counted from the start of the music (beat 0 = bar 1, beat 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from spectrogenre.demo.theory import midi_to_hz

# Step-pattern characters and their velocities: accent, normal, ghost note, rest.
_STEP_VELOCITY = {"X": 1.0, "x": 0.75, "o": 0.35, ".": 0.0}


@dataclass(frozen=True)
class Timing:
    """Tempo and swing of a piece.

    `swing` is where the off-beat of each `swing_unit` pair falls, as a fraction of the
    pair: 0.5 is straight, 2/3 is a triplet shuffle. `swing_unit` is 0.5 beat to swing
    eighths (blues, jazz) or 0.25 beat to swing sixteenths (boom-bap).
    """

    tempo: float
    swing: float = 0.5
    swing_unit: float = 0.5
    beats_per_bar: int = 4

    @property
    def beat_seconds(self) -> float:
        return 60.0 / self.tempo

    @property
    def bar_seconds(self) -> float:
        return self.beats_per_bar * self.beat_seconds

    def seconds(self, beats: float | np.ndarray) -> np.ndarray:
        """Time in seconds of beat positions (any shape), swing applied."""
        b = np.asarray(beats, dtype=float)
        pair = 2.0 * self.swing_unit
        whole, frac = np.divmod(b, pair)
        s = self.swing
        warped = np.where(frac < self.swing_unit,
                          frac * (s / 0.5),
                          pair * s + (frac - self.swing_unit) * ((1.0 - s) / 0.5))
        return (whole * pair + warped) * self.beat_seconds


@dataclass(frozen=True)
class Note:
    """A note or chord: start and sounding length in seconds, MIDI pitches, velocity 0..1."""

    start: float
    length: float
    pitches: tuple[float, ...]
    velocity: float = 1.0


def pattern_beats(pattern: str, bars: Iterable[int], *, beats_per_bar: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Beat positions and velocities of a step pattern repeated on the given bars.

    `pattern` has one character per step spread evenly over a bar (16 characters =
    sixteenth notes in 4/4); spaces are ignored. Returns (beats, velocities), each (k,).
    """
    steps = pattern.replace(" ", "")
    step_beats = beats_per_bar / len(steps)
    hits = [(i * step_beats, _STEP_VELOCITY[c]) for i, c in enumerate(steps) if c != "."]
    beats, vels = [], []
    for bar in bars:
        for offset, vel in hits:
            beats.append(bar * beats_per_bar + offset)
            vels.append(vel)
    return np.array(beats, dtype=float), np.array(vels, dtype=float)


def humanise(times: np.ndarray, velocities: np.ndarray, rng: np.random.Generator, *,
             jitter: float = 0.004, spread: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Nudge times by ~`jitter` s and velocities by ~`spread` (relative), like a player would."""
    t = times + rng.normal(0.0, jitter, times.shape)
    v = velocities * np.clip(rng.normal(1.0, spread, velocities.shape), 0.5, 1.3)
    return np.maximum(t, 0.0), v


def render_hits(sample: np.ndarray, times: np.ndarray, velocities: np.ndarray, *, n: int, sr: int) -> np.ndarray:
    """Mono track (n,) with `sample` added at each time (s) scaled by its velocity."""
    out = np.zeros(n)
    starts = np.round(np.asarray(times) * sr).astype(int)
    for start, vel in zip(starts, velocities):
        if 0 <= start < n and vel > 0:
            m = min(len(sample), n - start)
            out[start:start + m] += vel * sample[:m]
    return out


def render_notes(notes: Iterable[Note], voice: Callable[[np.ndarray, int], np.ndarray], *,
                 n: int, sr: int) -> np.ndarray:
    """Mono track (n,) of notes rendered by `voice(freqs_hz, length_samples)`."""
    out = np.zeros(n)
    for note in notes:
        start = int(round(note.start * sr))
        if start >= n or note.velocity <= 0:
            continue
        m = min(int(round(note.length * sr)), n - start)
        if m < 16:
            continue
        freqs = np.atleast_1d(midi_to_hz(np.array(note.pitches)))
        out[start:start + m] += note.velocity * voice(freqs, m)
    return out
