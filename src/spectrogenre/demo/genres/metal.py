"""Metal: ~180 bpm with a double bass drum in sixteenths, low-tuned, heavily distorted and
mid-scooped guitars double-tracked left/right playing palm-muted chugs with open
power-chord accents on a minor/phrygian riff."""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import drums, instruments, synth
from spectrogenre.demo.genres.base import (LOW_SR, MID_SR, GenreSpec, Song, Stem, Style, bars_of, form, hits,
                                           mixdown, notes_at)
from spectrogenre.demo.sequencer import Note, Timing

# Riffs: per sixteenth step, "c" = palm-muted chug on the root, a digit = open power chord
# on that riff degree (index into _DEGREES), "." = rest. Two bars each.
_RIFFS = (
    "cccc0.cc cccc1.cc cccc0.cc c.c.2.3.",
    "c.ccc.ccc.cc0..c c.ccc.ccc.cc1..2",
    "0...cccc2...cccc 0...cccc3..1..cc",
)
_DEGREES = (0, 1, 3, 6)  # semitones above the root: the phrygian/locrian colour of metal riffs
_KICKS = ("xxxxxxxxxxxxxxxx", "x.xxx.xxx.xxx.xx")


def render(style: Style, *, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One metal track, stereo (n, 2) at `sr`, `seconds` long."""
    song = Song.make(Timing(style.tempo), seconds=seconds, sr=sr)
    sections = form(song.n_bars, intro=[("verse", 4)], loop=[("verse", 8), ("blast", 4), ("verse", 4), ("half", 4)])
    every = list(range(song.n_bars))
    verse = bars_of(sections, "verse")
    blast = bars_of(sections, "blast")
    half = bars_of(sections, "half")
    sixteenth = song.timing.beat_seconds / 4

    kick = drums.kick(sr, rng, pitch=58.0 + 8.0 * style.brightness, decay=0.09, click=0.9, drive=2.0)
    snare = drums.snare(sr, rng, tone=220.0, decay=0.12, snappy=0.7, brightness=8000.0)
    cymbal = drums.crash(sr, rng, decay=0.6, brightness=3000.0)
    hat = drums.ride(sr, rng, decay=0.5, brightness=5000.0, bell=0.6)
    china = drums.crash(sr, rng, decay=0.3, brightness=2500.0)  # short, trashy: a china on the beat

    riff = _RIFFS[style.variant % len(_RIFFS)].replace(" ", "")
    root = style.tonic  # tonic range 35..40: drop B to E tuning
    chug_notes, open_notes = [], []
    for bar in every:
        for step in range(16):
            symbol = riff[(bar % 2) * 16 + step]
            start = float(song.t(bar * 4 + step / 4))
            if symbol == "c":
                chug_notes.append(Note(start, sixteenth * 0.9, (root, root + 7), 1.0))
            elif symbol != ".":
                degree = root + _DEGREES[int(symbol)]
                open_notes.append(Note(start, sixteenth * 3.5, (degree, degree + 7, degree + 12), 1.0))

    def guitar_take(take_rng: np.random.Generator) -> np.ndarray:
        chugs = notes_at(song, chug_notes, lambda f, m, r: instruments.guitar(f, m, r, take_rng, decay=0.3, mute=0.85),
                         rate=MID_SR)
        opens = notes_at(song, open_notes,
                         lambda f, m, r: instruments.guitar(f, m, r, take_rng, decay=1.0, strum=0.004), rate=MID_SR)
        dry = synth.highpass(chugs + 0.8 * opens, 90.0, sr)
        wet = synth.overdrive(dry, drive=25.0 + 25.0 * style.drive, bias=0.2)
        # Cabinet: no fizz above ~5 kHz, scooped mids, a little low-end thump.
        return synth.chain(wet, synth.butter_sos("lowpass", 3500.0 + 1500.0 * style.brightness, sr, order=4),
                           synth.biquad_sos("peak", 650.0, sr, q=1.0, gain_db=-6.0),
                           synth.biquad_sos("peak", 120.0, sr, q=1.2, gain_db=3.0))

    # Two independent takes panned hard left and right: the wall of a double-tracked rhythm section.
    left = guitar_take(np.random.default_rng(rng.integers(2**32)))
    right = guitar_take(np.random.default_rng(rng.integers(2**32)))
    bleed = 0.5 * (1.0 - style.width)
    guitars = np.stack([left + bleed * right, right + bleed * left], axis=1)

    bass_notes = [Note(n.start, n.length, (n.pitches[0] - 12,), 1.0) for n in chug_notes + open_notes]
    bass = notes_at(song, bass_notes, lambda f, m, r: instruments.pluck_bass(f[0], m, r, tone=0.6, decay=0.3),
                    rate=LOW_SR, post=lambda x, r: synth.lowpass(synth.overdrive(x, drive=3.0), 1200.0, r))

    cymbal_bars = [bar for bar in every if bar % 4 == 0]
    stems = [
        Stem("kick", hits(song, kick, _KICKS[style.variant % 2], verse, rng, jitter=0.002)
             + hits(song, kick, "xxxxxxxxxxxxxxxx", blast, rng, jitter=0.002)
             + hits(song, kick, "x.....x...x.....", half, rng, jitter=0.002), -4.0),
        Stem("snare", hits(song, snare, "....X.......X...", verse, rng, jitter=0.002)
             + hits(song, snare, ".x.x.x.x.x.x.x.x", blast, rng, jitter=0.002)
             + hits(song, snare, "........X.......", half, rng), -3.0, 0.0, 0.2),
        Stem("cymbal", hits(song, cymbal, "X...............", cymbal_bars, rng), -14.0, -0.4, 0.2),
        Stem("china", hits(song, china, "x...x...x...x...", verse + half, rng), -17.0, -0.3, 0.1),
        Stem("hat", hits(song, hat, "x.x.x.x.x.x.x.x.", verse + half, rng)
             + hits(song, hat, "xxxxxxxxxxxxxxxx", blast, rng), -17.0, 0.4),
        Stem("guitars", guitars, -9.0, 0.0, 0.1),
        Stem("bass", bass, -9.0),
    ]
    return mixdown(stems, style=style, sr=sr, rng=rng, reverb_seconds=1.0)


SPEC = GenreSpec(name="Metal", tempo=182.0, spread=0.05, tonic_low=35, tonic_high=40, swing=(0.5, 0.5),
                 minor_share=1.0, stems=("kick", "snare", "cymbal", "china", "hat", "guitars", "bass"), render=render)
