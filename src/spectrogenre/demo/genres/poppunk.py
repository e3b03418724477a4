"""Pop-punk: ~170 bpm straight eighths, snare on 2 and 4 (the "skate beat" in verses puts it
on every off-beat), open major-key power chords ringing in a higher register with less,
brighter distortion than metal, crashes on phrase starts and a sung melody."""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import drums, instruments, synth
from spectrogenre.demo.genres.base import (LOW_SR, MID_SR, GenreSpec, Song, Stem, Style, bars_of, form, hits,
                                           mixdown, notes_at)
from spectrogenre.demo.sequencer import Note, Timing
from spectrogenre.demo.theory import MAJOR_PENTATONIC, scale_pitches

_PROGRESSIONS = ((0, 7, 9, 5), (0, 5, 7, 5), (9, 5, 0, 7))  # I-V-vi-IV and friends, one chord per bar
_VOWELS = ("a", "e", "o", "ae", "i", "uh")


def render(style: Style, *, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One pop-punk track, stereo (n, 2) at `sr`, `seconds` long."""
    song = Song.make(Timing(style.tempo), seconds=seconds, sr=sr)
    sections = form(song.n_bars, intro=[("chorus", 4)], loop=[("verse", 8), ("chorus", 8)])
    every = list(range(song.n_bars))
    verse = bars_of(sections, "verse")
    chorus = bars_of(sections, "chorus")
    progression = _PROGRESSIONS[style.variant % len(_PROGRESSIONS)]
    roots = [style.tonic + progression[bar % 4] for bar in every]
    eighth = song.timing.beat_seconds / 2

    kick = drums.kick(sr, rng, pitch=60.0, decay=0.14, click=0.5, drive=1.5)
    snare = drums.snare(sr, rng, tone=200.0 + 40.0 * style.brightness, decay=0.2, snappy=0.55, brightness=7000.0)
    crash = drums.crash(sr, rng, decay=1.0 + 0.5 * style.space, brightness=3000.0 + 2000.0 * style.brightness)
    hat = drums.hihat(sr, rng, decay=0.12, brightness=6000.0)

    # Open power chords on every eighth, accent on the beat; verses are half muted.
    chord_notes = []
    for bar in every:
        root = roots[bar] if roots[bar] >= 45 else roots[bar] + 12  # keep the chords bright
        for k in range(8):
            muted = bar in verse and k % 2 == 1
            chord_notes.append(Note(float(song.t(bar * 4 + k / 2)), eighth * (0.6 if muted else 1.05),
                                    (root, root + 7, root + 12), 1.0 if k % 2 == 0 else 0.8))

    def guitar_take(take_rng: np.random.Generator) -> np.ndarray:
        dry = notes_at(song, chord_notes, lambda f, m, r: instruments.guitar(f, m, r, take_rng, decay=0.8, strum=0.006),
                       rate=MID_SR)
        wet = synth.overdrive(synth.highpass(dry, 150.0, sr), drive=4.0 + 4.0 * style.drive, bias=0.1)
        return synth.chain(wet, synth.butter_sos("lowpass", 6000.0 + 2500.0 * style.brightness, sr, order=4),
                           synth.biquad_sos("peak", 1800.0, sr, q=0.8, gain_db=3.0))  # forward, bright mids

    left = guitar_take(np.random.default_rng(rng.integers(2**32)))
    right = guitar_take(np.random.default_rng(rng.integers(2**32)))
    bleed = 0.5 * (1.0 - style.width)
    guitars = np.stack([left + bleed * right, right + bleed * left], axis=1)

    bass_notes = [Note(float(song.t(bar * 4 + k / 2)), eighth * 0.9, (style.tonic - 12 + progression[bar % 4],), 0.9)
                  for bar in every for k in range(8)]
    bass = notes_at(song, bass_notes, lambda f, m, r: instruments.pluck_bass(f[0], m, r, tone=0.7, decay=0.3),
                    rate=LOW_SR, post=lambda x, r: synth.lowpass(synth.overdrive(x, drive=1.5), 1500.0, r))

    vocals = notes_at(song, _sung_melody(song, sections, style, rng), lambda f, m, r: instruments.voice(
        f[0], m, r, rng, vowel=str(rng.choice(_VOWELS)), glide=0.0, breath=0.08, vibrato_depth=0.01), rate=MID_SR)
    vocals = synth.highpass(vocals, 150.0, sr)

    stems = [
        Stem("kick", hits(song, kick, "x...x...x...x..." if style.variant == 1 else "x.....x.x.x.....", verse, rng)
             + hits(song, kick, "x.....x.x.......", chorus, rng), -6.0),
        Stem("snare", hits(song, snare, "..x...x...x...x." if style.variant != 1 else "....x.......x...", verse, rng)
             + hits(song, snare, "....X.......X...", chorus, rng), -7.0, 0.0, 0.3),
        Stem("crash", hits(song, crash, "X...............", [b for b in chorus if b % 4 == 0], rng), -12.0, -0.5, 0.2),
        Stem("hat", hits(song, hat, "x.x.x.x.x.x.x.x.", every, rng), -17.0, 0.4),
        Stem("guitars", guitars, -11.0, 0.0, 0.15),
        Stem("bass", bass, -9.0),
        Stem("vocals", vocals, -2.0, 0.0, 0.35),
    ]
    return mixdown(stems, style=style, sr=sr, rng=rng, reverb_seconds=1.1)


def _sung_melody(song: Song, sections: list[str], style: Style, rng: np.random.Generator) -> list[Note]:
    """Two-bar vocal phrases on the major pentatonic, quarter and eighth notes, with a bar's rest."""
    scale = scale_pitches(style.tonic, MAJOR_PENTATONIC, low=style.tonic + 10, high=style.tonic + 24)
    notes = []
    idx = len(scale) // 2
    for bar in range(0, len(sections) - 1, 3):
        beat = bar * 4.0
        while beat < (bar + 2) * 4.0:
            length = float(rng.choice([0.5, 1.0, 1.0, 1.5]))
            idx = int(np.clip(idx + rng.choice([-1, 0, 1, 1, -2, 2]), 0, len(scale) - 1))
            notes.append(Note(float(song.t(beat)), length * song.timing.beat_seconds * 0.95, (scale[idx],), 0.9))
            beat += length
    return notes


SPEC = GenreSpec(name="Pop-punk", tempo=170.0, spread=0.04, tonic_low=40, tonic_high=47, swing=(0.5, 0.5),
                 minor_share=0.0, stems=("kick", "snare", "crash", "hat", "guitars", "bass", "vocals"), render=render)
