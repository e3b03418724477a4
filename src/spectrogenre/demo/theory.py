"""Just enough music theory for the recipes: pitches, chords, scales and voicings.

Pitches are MIDI note numbers (69 = A4 = 440 Hz); intervals are in semitones.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
DORIAN = (0, 2, 3, 5, 7, 9, 10)
MAJOR_PENTATONIC = (0, 2, 4, 7, 9)
MINOR_PENTATONIC = (0, 3, 5, 7, 10)
BLUES_SCALE = (0, 3, 5, 6, 7, 10)

# Chord qualities as intervals above the root.
CHORDS: dict[str, tuple[int, ...]] = {
    "5": (0, 7, 12),  # power chord
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "9": (0, 4, 7, 10, 14),
    "maj9": (0, 4, 7, 11, 14),
    "m9": (0, 3, 7, 10, 14),
    "6/9": (0, 4, 7, 9, 14),
    "13": (0, 4, 10, 14, 21),
    "m11": (0, 3, 7, 10, 14, 17),
}


def midi_to_hz(midi: float | np.ndarray) -> float | np.ndarray:
    """Frequency in Hz of a (possibly fractional) MIDI note number."""
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69.0) / 12.0)


def chord(root: float, quality: str) -> tuple[float, ...]:
    """MIDI pitches of `quality` built on `root`, root position."""
    return tuple(root + i for i in CHORDS[quality])


def voicing(root: float, quality: str, *, center: float) -> tuple[float, ...]:
    """The chord's tones, each moved by whole octaves to lie within a tritone+ of `center`.

    Keeping every chord near one register gives smooth voice leading without a solver.
    """
    tones = []
    for pitch in chord(root, quality):
        octaves = np.round((center - pitch) / 12.0)
        tones.append(pitch + 12.0 * octaves)
    return tuple(sorted(set(tones)))


def scale_pitches(tonic: float, scale: Sequence[int], *, low: float, high: float) -> np.ndarray:
    """All pitches of `scale` on `tonic` within [low, high], ascending, shape (k,)."""
    pitches = [tonic + 12 * octave + step for octave in range(-6, 7) for step in scale]
    return np.array(sorted(p for p in pitches if low <= p <= high), dtype=float)
