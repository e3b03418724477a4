"""Blues: a 12-bar I-IV-V shuffle near 90 bpm with swung (triplet) eighths, dominant
seventh chords, a boogie bass line, a shuffle rhythm guitar and bent lead licks."""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import drums, instruments, synth
from spectrogenre.demo.genres.base import (LOW_SR, MID_SR, GenreSpec, Song, Stem, Style, bars_of, form, hits,
                                           mixdown, notes_at)
from spectrogenre.demo.sequencer import Note, Timing
from spectrogenre.demo.theory import BLUES_SCALE, MINOR_PENTATONIC, scale_pitches, voicing

# Chord roots of the 12-bar form, semitones above the tonic (I, IV, V).
TWELVE_BAR = (0, 0, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7)
_QUICK_CHANGE = (0, 5, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7)
# Boogie bass: eighth notes, semitones above the chord root (root, 3rd, 5th, 6th, b7th).
_BOOGIE = ((0, 0, 4, 4, 7, 7, 9, 10), (0, 4, 7, 9, 10, 9, 7, 4), (0, 0, 7, 7, 9, 9, 7, 7))


def render(style: Style, *, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One blues track, stereo (n, 2) at `sr`, `seconds` long."""
    song = Song.make(Timing(style.tempo, swing=style.swing), seconds=seconds, sr=sr)
    sections = form(song.n_bars, intro=[], loop=[("rhythm", 12), ("solo", 12)])
    every = list(range(song.n_bars))
    form_roots = _QUICK_CHANGE if style.variant == 1 else TWELVE_BAR
    roots = [form_roots[bar % 12] for bar in every]
    beat = song.timing.beat_seconds

    kick = drums.kick(sr, rng, pitch=55.0, decay=0.2, click=0.15)
    snare = drums.snare(sr, rng, tone=180.0, decay=0.14, snappy=0.5, brightness=5000.0 + 2000.0 * style.brightness)
    hat = drums.hihat(sr, rng, decay=0.06, brightness=6000.0 + 2000.0 * style.brightness)

    bass_root = style.tonic - 12 if style.tonic >= 45 else style.tonic
    boogie = _BOOGIE[style.variant % len(_BOOGIE)]
    bass_notes = [Note(float(song.t(bar * 4 + k / 2)), 0.45 * beat, (bass_root + roots[bar] + step,), 0.9)
                  for bar in every for k, step in enumerate(boogie)]
    bass = notes_at(song, bass_notes, lambda f, m, r: instruments.pluck_bass(f[0], m, r, tone=0.3, decay=0.5),
                    rate=LOW_SR, post=lambda x, r: synth.lowpass(x, 600.0, r))

    # Shuffle rhythm guitar: root+5th alternating with root+6th on swung eighths.
    guitar_notes = []
    for bar in every:
        root = style.tonic + roots[bar]
        for k in range(8):
            top = 7 if k % 4 < 2 else 9
            accent = 1.0 if k % 2 == 0 else 0.8
            guitar_notes.append(Note(float(song.t(bar * 4 + k / 2)), 0.5 * beat, (root, root + top), accent))
    rhythm = notes_at(song, guitar_notes, lambda f, m, r: instruments.guitar(f, m, r, rng, decay=0.25, mute=0.4),
                      rate=MID_SR)
    rhythm = synth.lowpass(synth.overdrive(rhythm, drive=1.5 + 2.5 * style.drive),
                           2500.0 + 1500.0 * style.brightness, sr)

    # Dominant sevenths held on the organ over the changes, some albums add piano stabs.
    organ_notes = [Note(float(song.t(bar * 4)), song.timing.bar_seconds,
                        voicing(style.tonic + roots[bar], "7", center=style.tonic + 15), 0.7)
                   for bar in every]
    keys = notes_at(song, organ_notes,
                    lambda f, m, r: instruments.organ(f, m, r, drawbars=(0.6, 1.0, 0.8, 0.2, 0.4)), rate=MID_SR)
    if style.variant != 0:
        stabs = [Note(float(song.t(bar * 4 + b)), 0.4 * beat, n.pitches, 0.6)
                 for bar, n in zip(every, organ_notes) for b in (1.0, 2.5, 3.0)]
        keys += 0.7 * notes_at(song, stabs, lambda f, m, r: instruments.piano(f, m, r, brightness=0.5, decay=0.8),
                               rate=MID_SR)

    # The lead fills the second half of every four bars (where a singer would rest) and
    # takes whole choruses as a solo.
    lead_bars = [bar for bar in every if sections[bar] == "solo" or bar % 4 >= 2]
    lead = notes_at(song, _licks(song, lead_bars, style, rng), lambda f, m, r: instruments.lead(
        f[0], m, r, bend=1.0 if rng.random() < 0.4 else 0.0, decay=1.0), rate=MID_SR)
    lead = synth.lowpass(synth.overdrive(lead, drive=2.0 + 3.0 * style.drive, bias=0.3), 3500.0, sr)

    stems = [
        Stem("kick", hits(song, kick, "x...x...x...x...", every, rng), -8.0),
        Stem("snare", hits(song, snare, "....x.......x..o" if style.variant else "....x.......x...", every, rng),
             -4.0, 0.05, 0.3),
        Stem("hat", hits(song, hat, "x.x.x.x.x.x.x.x.", every, rng, jitter=0.006), -11.0, 0.3),
        Stem("bass", bass, -6.0, 0.0, 0.1),
        Stem("rhythm", rhythm, -11.0, -0.5, 0.3),
        Stem("keys", keys, -12.0, 0.4, 0.4),
        Stem("lead", lead, -12.0, 0.1, 0.5),
    ]
    return mixdown(stems, style=style, sr=sr, rng=rng, reverb_seconds=1.4)


def _licks(song: Song, bars: list[int], style: Style, rng: np.random.Generator) -> list[Note]:
    """Lead phrases on the blues scale: a few swung notes starting on beat 1 of each bar,
    ending on a longer, often bent note."""
    scale = scale_pitches(style.tonic + 12, BLUES_SCALE if style.variant != 1 else MINOR_PENTATONIC,
                          low=style.tonic + 10, high=style.tonic + 31)
    notes = []
    idx = len(scale) // 2
    for bar in bars:
        if rng.random() < 0.25:
            continue  # let the band breathe
        count = int(rng.integers(3, 7))
        for k in range(count):
            idx = int(np.clip(idx + rng.integers(-2, 3), 0, len(scale) - 1))
            last = k == count - 1
            length = (1.5 if last else 0.5) * song.timing.beat_seconds
            notes.append(Note(float(song.t(bar * 4 + k * 0.5)), length, (scale[idx],), 0.9 if last else 0.75))
    return notes


SPEC = GenreSpec(name="Blues", tempo=90.0, spread=0.06, tonic_low=40, tonic_high=47, swing=(0.63, 0.7),
                 minor_share=0.0, stems=("kick", "snare", "hat", "bass", "rhythm", "keys", "lead"), render=render)
