"""Classical: a string orchestra without percussion: sustained chords with slow attacks
and vibrato, a cello line, a legato violin melody, a concert-hall reverb and wide
dynamics (swells, and quiet passages some 30 dB below the climaxes)."""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import instruments, synth
from spectrogenre.demo.genres.base import LOW_SR, MID_SR, GenreSpec, Song, Stem, Style, form, mixdown, notes_at
from spectrogenre.demo.sequencer import Note, Timing
from spectrogenre.demo.theory import MAJOR, MINOR, scale_pitches, voicing

_MAJOR_PROGRESSIONS = (((0, "maj"), (9, "min"), (5, "maj"), (7, "7")),
                       ((0, "maj"), (7, "maj"), (9, "min"), (4, "min"), (5, "maj"), (0, "maj"), (5, "maj"), (7, "7")),
                       ((0, "maj"), (5, "maj"), (2, "min"), (7, "7")))
_MINOR_PROGRESSIONS = (((0, "min"), (5, "min"), (7, "7"), (0, "min")),
                       ((0, "min"), (8, "maj"), (3, "maj"), (7, "7")),
                       ((0, "min"), (10, "maj"), (8, "maj"), (7, "7")))
# Dynamic level (dB) of each section. The "pp" passages end up around -40 dBFS RMS:
# quiet, but above the -50 dB a silence trimmer uses, so they must survive trimming.
_DYNAMICS = {"p": -10.0, "mf": -5.0, "f": 0.0, "pp": -21.0}


def render(style: Style, *, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One classical piece, stereo (n, 2) at `sr`, `seconds` long."""
    song = Song.make(Timing(style.tempo), seconds=seconds, sr=sr)
    sections = form(song.n_bars, intro=[("p", 2)], loop=[("mf", 3), ("f", 3), ("pp", 3), ("mf", 2), ("f", 2)])
    progressions = _MINOR_PROGRESSIONS if style.minor else _MAJOR_PROGRESSIONS
    progression = progressions[style.variant % len(progressions)]
    bars_per_chord = 2 if style.variant == 2 else 1
    chords = [progression[(bar // bars_per_chord) % len(progression)] for bar in range(song.n_bars)]
    bar_s = song.timing.bar_seconds
    attack = 0.4 + 0.6 * (1.0 - style.drive)
    cutoff = 2200.0 + 2500.0 * style.brightness  # strings low-pass (Hz): darker or brighter halls

    chord_notes = [Note(song.bar_start(bar), bar_s * bars_per_chord + 0.8,
                        voicing(style.tonic + chords[bar][0], chords[bar][1], center=style.tonic + 12), 0.8)
                   for bar in range(0, song.n_bars, bars_per_chord)]
    section_strings = notes_at(song, chord_notes, lambda f, m, r: instruments.strings(
        f, m, r, rng, detune=0.003 + 0.003 * style.brightness, attack=attack, release=0.8), rate=LOW_SR,
        post=lambda x, r: synth.lowpass(x, cutoff, r))

    cello_notes = [Note(song.bar_start(bar), bar_s * bars_per_chord + 0.6, (style.tonic - 12 + chords[bar][0],), 0.9)
                   for bar in range(0, song.n_bars, bars_per_chord)]
    cello = notes_at(song, cello_notes, lambda f, m, r: instruments.strings(
        f, m, r, rng, vibrato_depth=0.003, attack=attack * 0.7, release=0.7), rate=LOW_SR,
        post=lambda x, r: synth.lowpass(x, cutoff * 0.6, r))

    melody = notes_at(song, _melody(song, sections, style, rng), lambda f, m, r: instruments.strings(
        f, m, r, rng, detune=0.001, vibrato_rate=5.8, vibrato_depth=0.006, attack=0.15, release=0.3), rate=MID_SR,
        post=lambda x, r: synth.lowpass(x, cutoff * 1.2, r))

    dyn = _dynamics(song, sections)
    stems = [
        Stem("strings", section_strings * dyn, -6.0, 0.0, 0.8),
        Stem("cello", cello * dyn, -6.0, -0.4, 0.8),
        Stem("melody", melody * dyn, -8.0, 0.3, 0.8),
    ]
    # Hall reverb: long and dark, a large part of the sound.
    return mixdown(stems, style=style, sr=sr, rng=rng, reverb_seconds=2.2 + 1.0 * style.space, damping=2500.0)


def _melody(song: Song, sections: list[str], style: Style, rng: np.random.Generator) -> list[Note]:
    """Legato violin phrases: notes of one to three beats moving mostly by step,
    resting during the quiet passages."""
    scale = scale_pitches(style.tonic, MINOR if style.minor else MAJOR, low=style.tonic + 17, high=style.tonic + 33)
    idx = len(scale) // 2
    notes = []
    beat = 0.0
    total_beats = len(sections) * song.timing.beats_per_bar
    while beat < total_beats:
        length = float(rng.choice([1.0, 2.0, 2.0, 3.0]))
        if sections[int(beat // song.timing.beats_per_bar)] != "pp":
            idx = int(np.clip(idx + rng.choice([-2, -1, -1, 0, 1, 1, 2]), 0, len(scale) - 1))
            notes.append(Note(float(song.t(beat)), length * song.timing.beat_seconds + 0.15, (scale[idx],), 0.8))
        beat += length
    return notes


def _dynamics(song: Song, sections: list[str]) -> np.ndarray:
    """Gain (n,) of the dynamic markings, ramping over a bar between sections (swells)
    and breathing +-2 dB within phrases."""
    bar_s = song.timing.bar_seconds
    centres = (np.arange(len(sections)) + 0.5) * bar_s
    levels = np.array([_DYNAMICS[s] for s in sections])
    t = np.arange(song.n) / song.sr
    db = np.interp(t, centres, levels) + 2.0 * np.sin(2 * np.pi * t / (4 * bar_s))
    return synth.db_to_gain(db)


SPEC = GenreSpec(name="Classical", tempo=70.0, spread=0.1, tonic_low=50, tonic_high=60, swing=(0.5, 0.5),
                 minor_share=0.5, stems=("strings", "cello", "melody"), render=render)
