"""Dubstep: 140 bpm in half time (one snare per bar, on beat 3), a sub-bass under a
distorted bass whose low-pass cutoff wobbles with a tempo-synced LFO, dark pads in the
breaks."""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import drums, instruments, synth
from spectrogenre.demo.genres.base import (LOW_SR, MID_SR, GenreSpec, Song, Stem, Style, bars_of, form, hits,
                                           mixdown, notes_at, render_at)
from spectrogenre.demo.sequencer import Note, Timing

_PROGRESSIONS = ((0, 0, 8, 10), (0, 5, 0, 3), (0, 0, 10, 8))  # bass roots (semitones), one per bar
_KICKS = ("x.........x.....", "x.........x..x..", "x......x..x.....")
# LFO periods in beats the wobble switches between: half notes, quarters, eighths, triplet eighths.
_LFO_BEATS = (2.0, 1.0, 0.5, 1.0 / 3.0)


def render(style: Style, *, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One dubstep track, stereo (n, 2) at `sr`, `seconds` long."""
    song = Song.make(Timing(style.tempo), seconds=seconds, sr=sr)
    sections = form(song.n_bars, intro=[("intro", 2)], loop=[("drop", 8), ("break", 2), ("drop", 8)])
    drop = bars_of(sections, "drop")
    every = list(range(song.n_bars))
    roots = _PROGRESSIONS[style.variant % len(_PROGRESSIONS)]
    bass_root = style.tonic - 12  # tonic range puts the wobble fundamental near 45-75 Hz

    kick = drums.kick(sr, rng, pitch=48.0 + 6.0 * style.brightness, decay=0.3, click=0.5, drive=2.0)
    snare = drums.snare(sr, rng, tone=200.0, decay=0.18 + 0.08 * style.drive, snappy=0.75,
                        brightness=7000.0 + 2000.0 * style.brightness)
    hat = drums.hihat(sr, rng, decay=0.035, brightness=8500.0)
    hat_pattern = ("x.x.x.x.x.x.x.x.", "x.xxx.xxx.xxx.xx", "xoxxoxxoxxox")[style.variant % 3]

    # Wobble bass: one long note per bar through a low-pass swept by a synced LFO.
    notes = [Note(float(song.t(bar * 4)), song.timing.bar_seconds, (bass_root + roots[bar % 4],), 1.0) for bar in drop]
    raw = render_at(song, notes, lambda f, m, r: synth.saw(f[0], m, r) + 0.6 * synth.square(f[0] * 1.003, m, r),
                    rate=MID_SR)
    t = np.arange(len(raw)) / MID_SR
    bar_index = np.minimum((t / song.timing.bar_seconds).astype(int), song.n_bars - 1)
    periods = np.array([_LFO_BEATS[int(k)] for k in rng.integers(0, len(_LFO_BEATS), song.n_bars)])
    lfo = 0.5 - 0.5 * np.cos(2 * np.pi * t / (periods[bar_index] * song.timing.beat_seconds))
    low, high = 90.0, 2000.0 + 2500.0 * style.brightness
    cutoff = low * (high / low) ** lfo
    wobble = synth.swept_lowpass(raw, cutoff, MID_SR, q=4.0 + 3.0 * style.drive)
    wobble = synth.lowpass(synth.overdrive(wobble, drive=3.0 + 4.0 * style.drive), 6000.0, MID_SR)
    wobble = synth.resample(wobble, MID_SR, sr, n=song.n)

    sub = notes_at(song, notes, lambda f, m, r: instruments.sub_bass(f[0], m, r, grit=0.05), rate=LOW_SR)

    pad_notes = [Note(float(song.t(bar * 4)), song.timing.bar_seconds + 0.4,
                      (style.tonic + 12 + roots[bar % 4], style.tonic + 15 + roots[bar % 4],
                       style.tonic + 19 + roots[bar % 4]), 0.8)
                 for bar in bars_of(sections, "intro", "break")]
    pad = notes_at(song, pad_notes, lambda f, m, r: instruments.pad(f, m, r, rng, attack=0.6, release=0.5),
                   rate=LOW_SR, post=lambda x, r: synth.lowpass(x, 1200.0 + 1500.0 * style.brightness, r))

    stems = [
        Stem("kick", hits(song, kick, _KICKS[style.variant % len(_KICKS)], drop, rng, jitter=0.001), -3.0),
        Stem("snare", hits(song, snare, "........X.......", drop, rng, jitter=0.001), -5.0, 0.0, 0.4),
        Stem("hat", hits(song, hat, hat_pattern, every, rng), -17.0, 0.3),
        Stem("wobble", wobble, -8.0, 0.0, 0.1),
        Stem("sub", sub, -6.0),
        Stem("pad", pad, -12.0, -0.2, 0.6),
    ]
    return mixdown(stems, style=style, sr=sr, rng=rng, reverb_seconds=2.0)


SPEC = GenreSpec(name="Dubstep", tempo=140.0, spread=0.03, tonic_low=41, tonic_high=50, swing=(0.5, 0.5),
                 minor_share=1.0, stems=("kick", "snare", "hat", "wobble", "sub", "pad"), render=render)
