"""Jazz: medium swing with the ride cymbal's "spang-a-lang", hi-hat on 2 and 4, brushes
on the snare, a walking upright bass and piano comping extended chords (m9, 13, maj9)."""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import drums, instruments, synth
from spectrogenre.demo.genres.base import (LOW_SR, MID_SR, GenreSpec, Song, Stem, Style, bars_of, form, hits,
                                           mixdown, notes_at)
from spectrogenre.demo.sequencer import Note, Timing
from spectrogenre.demo.theory import CHORDS, DORIAN, MAJOR, scale_pitches, voicing

# ii-V-I style progressions: (semitones above the tonic, quality), one chord per bar.
_PROGRESSIONS = (
    ((2, "m9"), (7, "13"), (0, "maj9"), (0, "6/9")),
    ((0, "maj7"), (9, "m7"), (2, "m9"), (7, "9")),
    ((4, "m7"), (9, "9"), (2, "m9"), (7, "13")),
)
# Comping rhythms (beats within the bar) a pianist picks from, Charleston first.
_COMPS = ((0.0, 1.5), (1.5, 3.5), (0.5, 2.0), (2.5,), (1.0, 2.5, 3.5))


def render(style: Style, *, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One jazz track, stereo (n, 2) at `sr`, `seconds` long."""
    song = Song.make(Timing(style.tempo, swing=style.swing), seconds=seconds, sr=sr)
    sections = form(song.n_bars, intro=[("head", 8)], loop=[("solo", 8), ("head", 8)])
    every = list(range(song.n_bars))
    progression = _PROGRESSIONS[style.variant % len(_PROGRESSIONS)]
    chords = [progression[bar % len(progression)] for bar in every]
    beat = song.timing.beat_seconds

    ride = drums.ride(sr, rng, decay=0.8 + 0.6 * style.space, brightness=3500.0 + 2000.0 * style.brightness,
                      bell=0.2 + 0.3 * style.brightness)
    chick = drums.hihat(sr, rng, decay=0.025, brightness=4000.0, base=250.0)
    sweep = drums.brush(sr, rng, length=beat * 0.9, brightness=4500.0 + 2000.0 * style.brightness)
    tap = drums.brush_tap(sr, rng)
    kick = drums.kick(sr, rng, pitch=60.0, decay=0.2, click=0.05)

    walk = _walking_bass(song, chords, style, rng)
    bass = notes_at(song, walk,
                    lambda f, m, r: instruments.upright_bass(f[0], m, r, rng, tone=0.3 + 0.3 * style.brightness),
                    rate=LOW_SR, post=lambda x, r: synth.lowpass(x, 700.0 + 400.0 * style.brightness, r))

    comp_notes = []
    for bar in every:
        root = style.tonic + chords[bar][0]
        # Rootless voicing (the bass has the root): drop the lowest tone of the chord.
        tones = voicing(root, chords[bar][1], center=style.tonic + 17)
        tones = tones[1:] if len(tones) > 3 else tones
        for b in _COMPS[int(rng.integers(0, len(_COMPS)))]:
            comp_notes.append(Note(float(song.t(bar * 4 + b)), beat * rng.uniform(0.6, 1.4), tones,
                                   rng.uniform(0.5, 0.8)))
    solo = _solo_line(song, bars_of(sections, "solo"), chords, style, rng)

    def keys_voice(freqs: np.ndarray, m: int, rate: int) -> np.ndarray:
        return instruments.piano(freqs, m, rate, brightness=0.35 + 0.3 * style.brightness, decay=1.5)

    comp = notes_at(song, comp_notes, keys_voice, rate=MID_SR)
    melody = notes_at(song, solo, keys_voice, rate=MID_SR)

    stems = [
        Stem("ride", hits(song, ride, "x...x.x.x...x.x.", every, rng, jitter=0.006), -11.0, 0.35, 0.3),
        Stem("chick", hits(song, chick, "....x.......x...", every, rng), -20.0, -0.3),
        Stem("brush", hits(song, sweep, "x...x...x...x...", every, rng, jitter=0.01), -22.0, 0.0, 0.3),
        Stem("tap", hits(song, tap, "......o.....o.o." if style.variant == 2 else "..o.....o..o....", every, rng,
                         jitter=0.008), -22.0, 0.1, 0.3),
        Stem("kick", hits(song, kick, "x...x...x...x...", every, rng), -24.0),
        Stem("bass", bass, -5.0, -0.1, 0.2),
        Stem("comp", comp, -13.0, 0.3, 0.5),
        Stem("melody", melody, -11.0, -0.2, 0.5),
    ]
    return mixdown(stems, style=style, sr=sr, rng=rng, reverb_seconds=1.3, damping=3000.0)


def _walking_bass(song: Song, chords: list[tuple[int, str]], style: Style, rng: np.random.Generator) -> list[Note]:
    """Quarter notes: the root on beat 1, chord tones on 2 and 3, and a chromatic
    approach (a semitone above or below) to the next bar's root on beat 4."""
    bass_root = style.tonic - 12 if style.tonic >= 44 else style.tonic
    notes = []
    for bar, (offset, quality) in enumerate(chords):
        root = bass_root + offset
        next_root = bass_root + chords[(bar + 1) % len(chords)][0]
        tones = [root + i for i in CHORDS[quality] if i < 12]
        line = [root, tones[int(rng.integers(1, len(tones)))], tones[int(rng.integers(1, len(tones)))],
                next_root + (1 if rng.random() < 0.5 else -1)]
        for k, pitch in enumerate(line):
            notes.append(Note(float(song.t(bar * 4 + k)), 0.95 * song.timing.beat_seconds, (pitch,),
                              0.95 if k == 0 else 0.8))
    return notes


def _solo_line(song: Song, bars: list[int], chords: list[tuple[int, str]], style: Style,
               rng: np.random.Generator) -> list[Note]:
    """A right-hand line of swung eighths with rests, moving by steps on the key's scale."""
    scale = scale_pitches(style.tonic, DORIAN if "m" in chords[0][1] else MAJOR,
                          low=style.tonic + 19, high=style.tonic + 38)
    idx = len(scale) // 2
    notes = []
    for bar in bars:
        for k in range(8):
            if rng.random() < 0.3:
                continue
            idx = int(np.clip(idx + rng.choice([-2, -1, -1, 1, 1, 2]), 0, len(scale) - 1))
            notes.append(Note(float(song.t(bar * 4 + k / 2)), 0.45 * song.timing.beat_seconds, (scale[idx],),
                              0.7 + 0.2 * (k % 2)))
    return notes


SPEC = GenreSpec(name="Jazz", tempo=140.0, spread=0.08, tonic_low=41, tonic_high=50, swing=(0.62, 0.68),
                 minor_share=0.0, stems=("ride", "chick", "brush", "tap", "kick", "bass", "comp", "melody"),
                 render=render)
