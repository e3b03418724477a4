"""Pitched instrument voices: one note (or chord) in, one mono array (n,) out.

Each voice takes frequencies in Hz, the note length `n` in samples (release included:
every voice ends at zero so notes can be summed without clicks) and timbre keywords.
Stem-wide processing (filters, distortion, reverb) belongs to the recipes, not here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spectrogenre.demo import synth

# First three formant frequencies (Hz) of a few vowels of an adult voice.
VOWELS: dict[str, tuple[float, float, float]] = {
    "a": (730.0, 1090.0, 2440.0),
    "e": (530.0, 1840.0, 2480.0),
    "i": (270.0, 2290.0, 3010.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (300.0, 870.0, 2240.0),
    "ae": (660.0, 1720.0, 2410.0),
    "uh": (520.0, 1190.0, 2390.0),
}


def sub_bass(freq: float, n: int, sr: int, *, grit: float = 0.1) -> np.ndarray:
    """Sine sub-bass with a little second harmonic (`grit`) so small speakers hint at it."""
    tone = synth.sine(freq, n, sr) + grit * synth.sine(2.0 * freq, n, sr)
    return tone * synth.adsr(n, sr, attack=0.005, release=0.03)


def pluck_bass(freq: float, n: int, sr: int, *, tone: float = 0.5, decay: float = 0.4) -> np.ndarray:
    """Electric bass: sine body plus a saw whose brightness dies away faster than the note."""
    t_env = synth.exp_decay(n, sr, tau=decay)
    bright = synth.exp_decay(n, sr, tau=0.06)
    body = synth.sine(freq, n, sr) + tone * bright * synth.saw(freq, n, sr)
    return body * t_env * synth.adsr(n, sr, attack=0.004, release=0.03)


def upright_bass(freq: float, n: int, sr: int, rng: np.random.Generator, *, tone: float = 0.4) -> np.ndarray:
    """Double bass pizzicato: round triangle/sine body, a finger thump, fairly long decay."""
    body = synth.triangle(freq, n, sr) * tone + synth.sine(freq, n, sr)
    thump = synth.lowpass(synth.noise(rng, n), 300.0, sr) * synth.exp_decay(n, sr, tau=0.015)
    env = synth.exp_decay(n, sr, tau=0.45) * synth.adsr(n, sr, attack=0.008, release=0.05)
    return (body + 0.8 * thump) * env


def pad(freqs: Sequence[float], n: int, sr: int, rng: np.random.Generator, *, detune: float = 0.006,
        attack: float = 0.3, release: float = 0.4) -> np.ndarray:
    """Synth pad: two slightly detuned saws per chord tone, random phases, slow envelope."""
    out = np.zeros(n)
    for f in freqs:
        for cents in (-1.0, 1.0):
            out += synth.saw(f * (1.0 + cents * detune), n, sr, start=rng.random())
    return out / max(len(freqs), 1) * synth.adsr(n, sr, attack=attack, release=release)


def strings(freqs: Sequence[float], n: int, sr: int, rng: np.random.Generator, *, detune: float = 0.004,
            vibrato_rate: float = 5.5, vibrato_depth: float = 0.004, attack: float = 0.5,
            release: float = 0.6) -> np.ndarray:
    """String section: per chord tone, two detuned saws with independent vibrato."""
    out = np.zeros(n)
    for f in freqs:
        for cents in (-1.0, 1.0):
            track = synth.vibrato(f * (1.0 + cents * detune), n, sr,
                                  rate=vibrato_rate * rng.uniform(0.9, 1.1),
                                  depth=vibrato_depth, start=rng.random())
            out += synth.saw(track, n, sr, start=rng.random())
    return out / max(len(freqs), 1) * synth.adsr(n, sr, attack=attack, release=release)


def organ(freqs: Sequence[float], n: int, sr: int, *,
          drawbars: Sequence[float] = (0.4, 1.0, 0.6, 0.3, 0.2)) -> np.ndarray:
    """Drawbar organ: sines at 0.5, 1, 2, 3 and 4 times each tone, instant on/off.

    The drawbars are harmonics 1, 2, 4, 6, 8 of the sub-octave, so one wavetable
    at half the frequency plays all five.
    """
    table = synth.harmonic_table(dict(zip((1, 2, 4, 6, 8), drawbars)))
    out = np.zeros(n)
    for f in freqs:
        out += synth.wavetable(table, 0.5 * f, n, sr)
    return out / max(len(freqs), 1) * synth.adsr(n, sr, attack=0.004, release=0.03)


def epiano(freqs: Sequence[float], n: int, sr: int, *, bell: float = 1.5, decay: float = 1.0) -> np.ndarray:
    """Electric piano by two-operator FM: the modulation index decays, so the tine's bright
    attack mellows into a near-sine."""
    t = np.arange(n) / sr
    index = bell * np.exp(-t / 0.25)
    out = np.zeros(n)
    for f in freqs:
        modulator = synth.sine(f, n, sr)
        out += np.sin(synth.TWO_PI * synth.phase(f, n, sr) + index * modulator)
    env = synth.exp_decay(n, sr, tau=decay) * synth.adsr(n, sr, attack=0.003, release=0.08)
    return out / max(len(freqs), 1) * env


# Piano partial mixes: all six partials for the hammer's bright attack, the lowest two
# for the body that remains once the upper partials have died away.
_PIANO_BRIGHT = synth.harmonic_table({k: 1.0 / k for k in range(1, 7)})
_PIANO_BODY = synth.harmonic_table({1: 1.0, 2: 0.3})


def piano(freqs: Sequence[float], n: int, sr: int, *, brightness: float = 0.5, decay: float = 1.2) -> np.ndarray:
    """Piano-like tone: a bright partial mix that fades fast into a mellow body.

    `brightness` 0..1 scales the bright attack; `decay` is the body's time constant (s).
    """
    bright = brightness * synth.exp_decay(n, sr, tau=decay * 0.15)
    out = np.zeros(n)
    for f in freqs:
        out += synth.wavetable(_PIANO_BODY, f, n, sr) + bright * synth.wavetable(_PIANO_BRIGHT, f, n, sr)
    env = synth.exp_decay(n, sr, tau=decay) * synth.adsr(n, sr, attack=0.002, release=0.06)
    return out / max(len(freqs), 1) * env


def guitar(freqs: Sequence[float], n: int, sr: int, rng: np.random.Generator, *, decay: float = 0.6,
           strum: float = 0.008, mute: float = 0.0) -> np.ndarray:
    """Strummed guitar chord: one saw per string started `strum` s after the previous.

    `mute` in [0, 1] shortens the decay and dulls the attack (palm muting).
    Distortion, if any, is applied to the whole stem by the recipe.
    """
    tau = decay * (1.0 - 0.85 * mute)
    out = np.zeros(n)
    for i, f in enumerate(freqs):
        start = min(int(i * strum * sr), n - 1)
        m = n - start
        string = synth.saw(f * (1.0 + rng.uniform(-0.002, 0.002)), m, sr, start=rng.random())
        out[start:] += string * synth.exp_decay(m, sr, tau=tau)
    return out / max(len(freqs), 1) * synth.adsr(n, sr, attack=0.002, release=0.02)


def lead(freq: float, n: int, sr: int, *, bend: float = 0.0, vibrato_depth: float = 0.006,
         decay: float = 1.5) -> np.ndarray:
    """Singing lead line (guitar/harmonica-like): a saw that can bend up `bend` semitones
    into the note and gets vibrato as it sustains."""
    t = np.arange(n) / sr
    glide = 2.0 ** (-bend * np.exp(-t / 0.06) / 12.0)
    wobble = 1.0 + vibrato_depth * np.sin(synth.TWO_PI * 5.5 * t) * (1.0 - np.exp(-t / 0.25))
    tone = synth.saw(freq * glide * wobble, n, sr) + 0.5 * synth.square(freq * glide * wobble, n, sr, duty=0.3)
    env = synth.exp_decay(n, sr, tau=decay) * synth.adsr(n, sr, attack=0.01, release=0.05)
    return tone * env


def voice(f0: float, n: int, sr: int, rng: np.random.Generator, *, vowel: str, consonant: str = "",
          glide: float = -0.1, breath: float = 0.15, vibrato_depth: float = 0.0) -> np.ndarray:
    """One sung or spoken syllable by source-filter synthesis.

    A saw glottal source at `f0` Hz (sliding by `glide` octaves over the syllable, the
    falling intonation of speech) plus breath noise goes through the vowel's formants;
    `consonant` ('s', 't', 'k' or '') prefixes a noise burst.
    """
    t = np.arange(n) / sr
    contour = f0 * 2.0 ** (glide * t / max(n / sr, 1e-3))
    if vibrato_depth > 0:
        contour = contour * (1.0 + vibrato_depth * np.sin(synth.TWO_PI * 5.0 * t) * np.clip(t / 0.3, 0, 1))
    source = synth.saw(contour, n, sr) + breath * synth.noise(rng, n)
    voiced = synth.formant_filter(source, VOWELS[vowel], sr)
    voiced /= max(np.max(np.abs(voiced)), 1e-9)  # narrow formants pass little: restore the level
    out = voiced * synth.adsr(n, sr, attack=0.02, decay=0.05, sustain=0.8, release=0.04)
    if consonant:
        length = {"s": 0.07, "t": 0.02, "k": 0.03}[consonant]
        m = min(int(length * sr), n)
        burst = synth.noise(rng, m)
        burst = synth.highpass(burst, 4000.0 if consonant == "s" else 1500.0, sr)
        out[:m] += 0.8 * burst * synth.adsr(m, sr, attack=0.003, release=0.01)
    return out
