"""House: four-on-the-floor kick near 124 bpm, off-beat open hats, claps on 2 and 4,
an off-beat bass line and a sustained seventh-chord pad that pumps with the kick."""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import drums, instruments, synth
from spectrogenre.demo.genres.base import (LOW_SR, MID_SR, GenreSpec, Song, Stem, Style, bars_of, form, hits,
                                           mixdown, notes_at)
from spectrogenre.demo.sequencer import Note, Timing, pattern_beats
from spectrogenre.demo.theory import voicing

# (semitones above the tonic, chord quality) per chord.
_MINOR_PROGRESSIONS = (((0, "m7"), (5, "m9")), ((0, "m9"), (8, "maj7"), (10, "6/9"), (7, "m7")),
                       ((0, "m7"), (3, "maj7")))
_MAJOR_PROGRESSIONS = (((0, "maj7"), (9, "m7")), ((0, "maj9"), (5, "maj7"), (2, "m9"), (7, "9")))
# Stab rhythms (sixteenth steps), one per album variant.
_STABS = ("...x..x....x..x.", "..x...x...x..x..", ".x..x..x..x...x.")


def render(style: Style, *, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One house track, stereo (n, 2) at `sr`, `seconds` long."""
    song = Song.make(Timing(style.tempo, swing=style.swing, swing_unit=0.25), seconds=seconds, sr=sr)
    sections = form(song.n_bars, intro=[("intro", 4)], loop=[("main", 8), ("break", 2), ("main", 8)])
    drums_on = bars_of(sections, "intro", "main")
    main = bars_of(sections, "main")
    every = list(range(song.n_bars))

    kick = drums.kick(sr, rng, pitch=46.0 + 8.0 * style.brightness, decay=0.22 + 0.12 * style.drive,
                      click=0.2 + 0.3 * style.brightness, drive=1.5)
    clap = drums.clap(sr, rng, centre=1100.0 + 600.0 * style.brightness)
    open_hat = drums.hihat(sr, rng, decay=0.16 + 0.08 * style.drive, brightness=6500.0 + 2500.0 * style.brightness)
    closed = drums.hihat(sr, rng, decay=0.03, brightness=8000.0)

    progressions = _MINOR_PROGRESSIONS if style.minor else _MAJOR_PROGRESSIONS
    progression = progressions[style.variant % len(progressions)]
    chords = [progression[(bar // 2) % len(progression)] for bar in range(song.n_bars)]  # two bars each
    bass_root = style.tonic - 12 if style.tonic >= 48 else style.tonic

    # Off-beat bass: an eighth note on every "and", the chord root with an octave jump now and then.
    bass_notes = []
    for bar in main:
        offset, _ = chords[bar]
        for k, beat in enumerate((0.5, 1.5, 2.5, 3.5)):
            pitch = bass_root + offset + (12 if (k == 3 and bar % 2) else 0)
            bass_notes.append(Note(float(song.t(bar * 4 + beat)), song.timing.beat_seconds * 0.45, (pitch,), 0.9))
    bass = notes_at(song, bass_notes, lambda f, m, r: instruments.pluck_bass(
        f[0], m, r, tone=0.3 + 0.5 * style.brightness, decay=0.25), rate=LOW_SR,
        post=lambda x, r: synth.lowpass(x, 500.0 + 600.0 * style.brightness, r))

    pad_notes = [Note(float(song.t(bar * 4)), song.timing.bar_seconds * 2 + 0.3,
                      voicing(style.tonic + chords[bar][0], chords[bar][1], center=style.tonic + 14), 0.8)
                 for bar in range(0, song.n_bars, 2)]
    pad = notes_at(song, pad_notes, lambda f, m, r: instruments.pad(
        f, m, r, rng, attack=0.05 + 0.2 * rng.random(), release=0.3), rate=LOW_SR,
        post=lambda x, r: synth.lowpass(x, 1500.0 + 2500.0 * style.brightness, r))
    # Side-chain pumping: the pad ducks on every beat like it is compressed by the kick.
    beat_phase = (np.arange(song.n) / sr / song.timing.beat_seconds) % 1.0
    pad *= 1.0 - (0.5 + 0.3 * style.drive) * np.exp(-beat_phase / 0.12)

    stab_notes = []
    for bar in bars_of(sections, "main", "break"):
        beats, _ = pattern_beats(_STABS[style.variant % len(_STABS)], [bar])
        for beat in beats:
            stab_notes.append(Note(float(song.t(beat)), 0.18, voicing(style.tonic + chords[bar][0], chords[bar][1],
                                                                        center=style.tonic + 19), 0.7))
    if style.variant == 1:
        stab = notes_at(song, stab_notes, lambda f, m, r: instruments.epiano(f, m, r, bell=2.0, decay=0.3), rate=MID_SR)
    else:
        stab = notes_at(song, stab_notes, lambda f, m, r: instruments.organ(f, m, r), rate=MID_SR)

    stems = [
        Stem("kick", hits(song, kick, "x...x...x...x...", drums_on, rng, jitter=0.001), -2.0),
        Stem("clap", hits(song, clap, "....x.......x...", main, rng), -9.0, 0.05, 0.3),
        Stem("openhat", hits(song, open_hat, "..x...x...x...x.", every, rng), -12.0, 0.25, 0.1),
        Stem("hat", hits(song, closed, "x.x.x.x.x.x.x.x." if style.variant != 2 else "xoxoxoxoxoxoxoxo",
                         main, rng), -20.0, -0.3),
        Stem("bass", bass, -6.0),
        Stem("pad", pad, -13.0, 0.0, 0.4),
        Stem("stab", stab, -13.0, 0.2, 0.5),
    ]
    return mixdown(stems, style=style, sr=sr, rng=rng, reverb_seconds=1.2)


SPEC = GenreSpec(name="House", tempo=124.0, spread=0.03, tonic_low=45, tonic_high=56, swing=(0.5, 0.56),
                 minor_share=0.75, stems=("kick", "clap", "openhat", "hat", "bass", "pad", "stab"), render=render)
