"""Rap: a boom-bap beat near 90 bpm with swung sixteenths, a dusty sampled chord loop
(low-passed, bit-crushed, with record crackle), a short sub bass, and a rapped
vocal: formant-filtered syllables in dense phrase rhythms with falling intonation."""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import drums, instruments, synth
from spectrogenre.demo.genres.base import (LOW_SR, MID_SR, GenreSpec, Song, Stem, Style, bars_of, form, hits,
                                           mixdown, notes_at)
from spectrogenre.demo.sequencer import Note, Timing
from spectrogenre.demo.theory import voicing

_PROGRESSIONS = (((0, "m9"), (8, "maj7")), ((0, "m7"), (5, "m9")), ((0, "m7"), (10, "maj7"), (8, "maj7"), (7, "m7")))
_KICKS = ("x......x..x.....", "x.....x...x..x..", "x......xx.....x.")
_VOWELS = ("a", "e", "i", "o", "u", "ae", "uh")
_CONSONANTS = ("", "s", "t", "k", "t", "s")
# Rhythms of one bar of rapping, sixteenth steps: "x" starts a syllable.
_FLOWS = ("x.xxx.xx.xxx.x..", "xx.x.xx.xxx.x.x.", "x.x.xxx.x.x.xx..", "xxxx.x.xxx.x.xx.")


def render(style: Style, *, seconds: float, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One rap track, stereo (n, 2) at `sr`, `seconds` long."""
    song = Song.make(Timing(style.tempo, swing=style.swing, swing_unit=0.25), seconds=seconds, sr=sr)
    sections = form(song.n_bars, intro=[("intro", 2)], loop=[("verse", 8), ("hook", 4)])
    every = list(range(song.n_bars))
    beat_bars = bars_of(sections, "verse", "hook")
    progression = _PROGRESSIONS[style.variant % len(_PROGRESSIONS)]
    chords = [progression[bar % len(progression)] for bar in every]

    kick = drums.kick(sr, rng, pitch=50.0 + 6.0 * style.brightness, decay=0.28 + 0.15 * style.drive, click=0.4,
                      drive=2.5)
    snare = drums.snare(sr, rng, tone=180.0, decay=0.16, snappy=0.65, brightness=5500.0 + 2000.0 * style.brightness)
    clap = drums.clap(sr, rng, centre=1200.0)
    hat = drums.hihat(sr, rng, decay=0.035, brightness=7000.0 + 2000.0 * style.brightness)

    # The "sample": an electric piano loop played through an old sampler.
    loop_notes = [Note(float(song.t(bar * 4 + b)), song.timing.beat_seconds * (3.8 if style.variant != 1 else 1.4),
                       voicing(style.tonic + chords[bar][0], chords[bar][1], center=style.tonic + 15), 0.8)
                  for bar in every for b in ((0.0,) if style.variant != 1 else (0.0, 1.5, 2.75))]
    sample = notes_at(song, loop_notes, lambda f, m, r: instruments.epiano(f, m, r, bell=0.8, decay=2.0), rate=MID_SR)
    sample = synth.bitcrush(sample / max(np.max(np.abs(sample)), 1e-9), bits=8 + int(4 * style.brightness))
    sample = synth.bandpass(sample, 180.0, 2200.0 + 1500.0 * style.brightness, sr)
    crackle = drums.vinyl(song.n, sr, rng, crackle=4.0 + 8.0 * style.drive)

    bass_notes = [Note(float(song.t(bar * 4 + b)), song.timing.beat_seconds * 0.8,
                       (style.tonic - 12 + chords[bar][0],), 1.0)
                  for bar in beat_bars for b in (0.0, 1.75, 2.5)]
    bass = notes_at(song, bass_notes, lambda f, m, r: instruments.sub_bass(f[0], m, r, grit=0.2), rate=LOW_SR)

    vocals = notes_at(song, _flow(song, sections, style, rng), lambda f, m, r: instruments.voice(
        f[0], m, r, rng, vowel=str(rng.choice(_VOWELS)), consonant=str(rng.choice(_CONSONANTS)), glide=-0.15,
        breath=0.25), rate=MID_SR)
    vocals = synth.overdrive(synth.highpass(vocals, 120.0, sr), drive=1.5)

    stems = [
        Stem("kick", hits(song, kick, _KICKS[style.variant % len(_KICKS)], beat_bars, rng, jitter=0.006), -4.0),
        Stem("snare", hits(song, snare, "....x.......x...", beat_bars, rng, jitter=0.006)
             + 0.6 * hits(song, clap, "....x.......x...", beat_bars, rng), -1.0, 0.0, 0.2),
        Stem("hat", hits(song, hat, "x.x.x.x.x.x.x.x." if style.variant == 0 else "x.oxx.oxx.oxx.ox", beat_bars, rng,
                         jitter=0.008), -18.0, 0.3),
        Stem("sample", sample, -9.0, -0.2, 0.2),
        Stem("crackle", crackle, -24.0, 0.0),
        Stem("bass", bass, -7.0),
        Stem("vocals", vocals, -3.0, 0.0, 0.15),
    ]
    return mixdown(stems, style=style, sr=sr, rng=rng, reverb_seconds=0.9)


def _flow(song: Song, sections: list[str], style: Style, rng: np.random.Generator) -> list[Note]:
    """Rapped syllables: each bar follows one of the flow rhythms, pitch starts each
    phrase high and falls (declarative intonation), every fourth bar ends in a breath."""
    voice_f0 = 95.0 + 60.0 * style.brightness  # from a low male to a higher voice
    syllable = song.timing.beat_seconds / 4
    notes = []
    for bar, section in enumerate(sections):
        if section == "intro":
            continue
        flow = _FLOWS[int(rng.integers(0, len(_FLOWS)))] if section == "verse" else _FLOWS[style.variant % len(_FLOWS)]
        if bar % 4 == 3:
            flow = flow[:10] + "......"  # breathe at the end of the phrase
        for step, symbol in enumerate(flow):
            if symbol != "x":
                continue
            position = (bar % 4 * 16 + step) / 64.0  # 0..1 through the phrase
            f0 = voice_f0 * 2 ** ((0.25 - 0.35 * position + rng.normal(0.0, 0.04)))
            pitch = 69.0 + 12.0 * np.log2(f0 / 440.0)
            length = syllable * rng.uniform(0.8, 1.7)
            notes.append(Note(float(song.t(bar * 4 + step / 4)), length, (pitch,), rng.uniform(0.7, 1.0)))
    return notes


SPEC = GenreSpec(name="Rap", tempo=90.0, spread=0.05, tonic_low=41, tonic_high=50, swing=(0.54, 0.62),
                 minor_share=1.0, stems=("kick", "snare", "hat", "sample", "crackle", "bass", "vocals"), render=render)
