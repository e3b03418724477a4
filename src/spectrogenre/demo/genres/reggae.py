"""Reggae: one-drop drums (kick and rim together on beat 3 only) near 75 bpm, skank
chords on every off-beat with a dub echo, an organ bubble and a deep, melodic bass
that leaves the downbeat empty."""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import drums, instruments, synth
from spectrogenre.demo.genres.base import (LOW_SR, MID_SR, GenreSpec, Song, Stem, Style, bars_of, form, hits,
                                           mixdown, notes_at)
from spectrogenre.demo.sequencer import Note, Timing, pattern_beats
from spectrogenre.demo.theory import voicing

_MAJOR_PROGRESSIONS = (((0, "maj"), (5, "maj")), ((0, "maj"), (7, "maj"), (5, "maj"), (7, "maj")),
                       ((0, "maj"), (9, "min"), (5, "maj"), (7, "maj")))
_MINOR_PROGRESSIONS = (((0, "min"), (10, "maj")), ((0, "min"), (5, "min")),
                       ((0, "min"), (8, "maj"), (10, "maj"), (0, "min")))
# Bass riffs, one bar each: (beat, length in beats, semitones above the chord root).
_RIFFS = (
    ((0.5, 0.4, 0), (1.0, 0.9, 0), (2.0, 0.4, 7), (2.5, 0.4, 10), (3.0, 0.9, 12)),
    ((0.75, 0.6, 0), (1.5, 0.4, 3), (2.0, 0.9, 5), (3.0, 0.4, 7), (3.5, 0.4, 5)),
    ((0.5, 0.9, 0), (1.5, 0.4, 0), (2.0, 0.4, 7), (2.5, 0.9, 5), (3.5, 0.4, 3)),
)


def render(style: Style, *, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One reggae track, stereo (n, 2) at `sr`, `seconds` long."""
    song = Song.make(Timing(style.tempo, swing=style.swing), seconds=seconds, sr=sr)
    sections = form(song.n_bars, intro=[("intro", 1)], loop=[("verse", 8), ("dub", 2)])
    every = list(range(song.n_bars))
    band = bars_of(sections, "verse", "dub")
    verse = bars_of(sections, "verse")

    progressions = _MINOR_PROGRESSIONS if style.minor else _MAJOR_PROGRESSIONS
    progression = progressions[style.variant % len(progressions)]
    chords = [progression[bar % len(progression)] for bar in range(song.n_bars)]

    kick = drums.kick(sr, rng, pitch=52.0, decay=0.25, click=0.15)
    rim = drums.rim(sr, rng, tone=1500.0 + 500.0 * style.brightness)
    hat = drums.hihat(sr, rng, decay=0.04, brightness=7000.0 + 2000.0 * style.brightness)
    hat_pattern = ("x.x.x.x.x.x.x.x.", "x.xox.xox.xox.xo", "x.x.x.x.x.x.x.xx")[style.variant % 3]

    skank_notes = []
    for bar in every:
        beats, _ = pattern_beats("..x...x...x...x.", [bar])
        chord_tones = voicing(style.tonic + chords[bar][0], chords[bar][1], center=style.tonic + 16)
        skank_notes += [Note(float(song.t(b)), 0.14, chord_tones, 0.9) for b in beats]
    skank = notes_at(song, skank_notes, lambda f, m, r: instruments.guitar(
        f, m, r, rng, decay=0.07, strum=0.004, mute=0.2), rate=MID_SR)
    skank = synth.highpass(skank, 350.0 + 250.0 * style.brightness, sr)
    skank_echo = synth.lowpass(synth.echo(skank, sr, delay=song.timing.beat_seconds * 0.75, feedback=0.45), 2500.0, sr)

    # Organ "bubble": the two sixteenths after each off-beat, short and quiet.
    bubble_notes = []
    for bar in band:
        beats, _ = pattern_beats(".x.x.x.x.x.x.x.x" if style.variant == 2 else "...x...x...x...x", [bar])
        chord_tones = voicing(style.tonic + chords[bar][0], chords[bar][1], center=style.tonic + 9)
        bubble_notes += [Note(float(song.t(b)), 0.12, chord_tones, 0.7) for b in beats]
    bubble = notes_at(song, bubble_notes,
                      lambda f, m, r: instruments.organ(f, m, r, drawbars=(0.2, 1.0, 0.3, 0.0, 0.1)), rate=MID_SR)

    riff = _RIFFS[style.variant % len(_RIFFS)]
    bass_root = style.tonic - 12 if style.tonic >= 45 else style.tonic
    bass_notes = [Note(float(song.t(bar * 4 + beat)), length * song.timing.beat_seconds,
                       (bass_root + chords[bar][0] + step,), 1.0)
                  for bar in band for beat, length, step in riff]
    bass = notes_at(song, bass_notes, lambda f, m, r: instruments.pluck_bass(f[0], m, r, tone=0.15, decay=0.6),
                    rate=LOW_SR, post=lambda x, r: synth.lowpass(x, 350.0 + 200.0 * style.brightness, r))

    stems = [
        Stem("kick", hits(song, kick, "........x.......", band, rng, jitter=0.002), -4.0),
        Stem("rim", hits(song, rim, "........x.......", band, rng, jitter=0.002), -12.0, -0.1, 0.5),
        Stem("hat", hits(song, hat, hat_pattern, verse, rng), -20.0, 0.35),
        Stem("skank", skank, -10.0, 0.3, 0.3),
        Stem("echo", skank_echo, -14.0, -0.5, 0.3),
        Stem("bubble", bubble, -18.0, -0.3),
        Stem("bass", bass, -3.0),
    ]
    return mixdown(stems, style=style, sr=sr, rng=rng, reverb_seconds=1.6)


SPEC = GenreSpec(name="Reggae", tempo=75.0, spread=0.05, tonic_low=43, tonic_high=52, swing=(0.5, 0.58),
                 minor_share=0.5, stems=("kick", "rim", "hat", "skank", "echo", "bubble", "bass"), render=render)
