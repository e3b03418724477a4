"""Drum and percussion one-shots, each a mono array (n,) peaking near 1.

Every voice is a classic analogue-style recipe (swept sine kick, tone+noise snare,
inharmonic square cluster cymbals) whose parameters the albums vary.
"""

from __future__ import annotations

import numpy as np

from spectrogenre.demo import synth

# Frequency ratios of the six square waves in analogue cymbal circuits: inharmonic,
# so together they sound metallic rather than pitched.
_METAL_RATIOS = (1.0, 1.4471, 1.6170, 1.9265, 2.5028, 2.6637)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / max(np.max(np.abs(x)), 1e-9)


def _metal(n: int, sr: int, *, base: float) -> np.ndarray:
    return sum(synth.square(base * r, n, sr, start=0.1 * i) for i, r in enumerate(_METAL_RATIOS))


def kick(sr: int, rng: np.random.Generator, *, pitch: float = 50.0, sweep: float = 4.0,
         decay: float = 0.3, click: float = 0.3, drive: float = 1.0) -> np.ndarray:
    """Bass drum: a sine whose pitch falls from pitch*(1+sweep) to `pitch` Hz, plus a click.

    `decay` is the body's time constant (s); `click` the level of the beater noise;
    `drive` > 1 saturates the body for a harder, more compressed kick.
    """
    n = int(min(decay * 5.0, 1.2) * sr)
    t = np.arange(n) / sr
    freq = pitch * (1.0 + sweep * np.exp(-t / 0.035))
    body = synth.sine(freq, n, sr) * np.exp(-t / decay)
    if drive > 1.0:
        body = np.tanh(drive * body) / np.tanh(drive)
    beater = synth.highpass(synth.noise(rng, n), 1500.0, sr) * np.exp(-t / 0.004)
    return _normalise(body + click * 0.5 * beater)


def snare(sr: int, rng: np.random.Generator, *, tone: float = 190.0, decay: float = 0.15,
          snappy: float = 0.6, brightness: float = 6000.0) -> np.ndarray:
    """Snare: two damped drum-head modes plus band-passed noise for the wires.

    `snappy` in [0, 1] balances wires against head; `brightness` (Hz) tops the noise band.
    """
    n = int(min(decay * 6.0, 1.0) * sr)
    t = np.arange(n) / sr
    head = (synth.sine(tone, n, sr) + 0.5 * synth.sine(tone * 1.6, n, sr)) * np.exp(-t / (decay * 0.4))
    wires = synth.bandpass(synth.noise(rng, n), 1200.0, brightness, sr) * np.exp(-t / decay)
    wires /= max(np.max(np.abs(wires)), 1e-9)
    return _normalise((1.0 - snappy) * head + snappy * wires)


def clap(sr: int, rng: np.random.Generator, *, decay: float = 0.12, centre: float = 1400.0) -> np.ndarray:
    """Hand clap: a few noise bursts ~10 ms apart and a short tail, band-passed around `centre`."""
    n = int((0.04 + decay * 5.0) * sr)
    t = np.arange(n) / sr
    env = np.exp(-t / decay) * 0.6
    for offset in (0.0, 0.011, 0.023):
        env = np.maximum(env, np.where(t >= offset, np.exp(-(t - offset) / 0.006), 0.0))
    body = synth.bandpass(synth.noise(rng, n), centre * 0.6, centre * 2.0, sr)
    return _normalise(body * env)


def rim(sr: int, rng: np.random.Generator, *, tone: float = 1700.0) -> np.ndarray:
    """Cross-stick / rim click: two short high modes and a noise tick."""
    n = int(0.08 * sr)
    t = np.arange(n) / sr
    modes = (synth.sine(tone, n, sr) + 0.6 * synth.sine(tone * 0.47, n, sr)) * np.exp(-t / 0.012)
    tick = synth.highpass(synth.noise(rng, n), 3000.0, sr) * np.exp(-t / 0.002)
    return _normalise(modes + 0.5 * tick)


def hihat(sr: int, rng: np.random.Generator, *, decay: float = 0.05, brightness: float = 7000.0,
          base: float = 330.0) -> np.ndarray:
    """Hi-hat: metallic square cluster and noise, high-passed at `brightness` Hz.

    A short `decay` (~0.04 s) gives a closed hat, a long one (~0.3 s) an open hat.
    """
    n = int(min(decay * 7.0, 2.0) * sr)
    t = np.arange(n) / sr
    raw = 0.6 * _metal(n, sr, base=base) / len(_METAL_RATIOS) + 0.5 * synth.noise(rng, n)
    return _normalise(synth.highpass(raw, brightness, sr, order=4) * np.exp(-t / decay))


def ride(sr: int, rng: np.random.Generator, *, decay: float = 0.9, brightness: float = 4500.0,
         bell: float = 0.3, base: float = 420.0) -> np.ndarray:
    """Ride cymbal: like a hat but with a long wash and a pitched bell component."""
    n = int(min(decay * 4.0, 3.0) * sr)
    t = np.arange(n) / sr
    wash = synth.highpass(_metal(n, sr, base=base) / 6 + 0.4 * synth.noise(rng, n), brightness, sr, order=2)
    ping = (synth.sine(base * 6.1, n, sr) + 0.7 * synth.sine(base * 8.3, n, sr)) * np.exp(-t / (decay * 0.5))
    env = np.exp(-t / decay) * (0.5 + 0.5 * np.exp(-t / 0.02))
    return _normalise(wash * env + bell * 0.3 * ping)


def crash(sr: int, rng: np.random.Generator, *, decay: float = 1.2, brightness: float = 3500.0) -> np.ndarray:
    """Crash cymbal: noisy, broadband and long; used on phrase starts."""
    n = int(min(decay * 4.0, 3.0) * sr)
    t = np.arange(n) / sr
    raw = synth.noise(rng, n) + 0.3 * _metal(n, sr, base=510.0) / 6
    env = np.exp(-t / decay) * (1.0 - np.exp(-t / 0.003))
    return _normalise(synth.highpass(raw, brightness, sr, order=2) * env)


def brush(sr: int, rng: np.random.Generator, *, length: float = 0.3, brightness: float = 5000.0) -> np.ndarray:
    """Brush sweep on a snare: band-passed noise that swells and fades over `length` s."""
    n = int(length * sr)
    t = np.arange(n) / sr
    env = np.sin(np.pi * np.clip(t / length, 0.0, 1.0)) ** 1.5
    return _normalise(synth.bandpass(synth.noise(rng, n), 1500.0, brightness, sr) * env)


def brush_tap(sr: int, rng: np.random.Generator, *, brightness: float = 6000.0) -> np.ndarray:
    """Brush slap: a short soft burst of noise, without a drum-head tone."""
    n = int(0.15 * sr)
    t = np.arange(n) / sr
    return _normalise(synth.bandpass(synth.noise(rng, n), 1800.0, brightness, sr) * np.exp(-t / 0.03))


def shaker(sr: int, rng: np.random.Generator, *, length: float = 0.07) -> np.ndarray:
    """Shaker: very short high noise with a soft attack."""
    n = int(length * sr)
    t = np.arange(n) / sr
    env = (1.0 - np.exp(-t / 0.008)) * np.exp(-t / (length / 3.0))
    return _normalise(synth.highpass(synth.noise(rng, n), 5000.0, sr) * env)


def vinyl(n: int, sr: int, rng: np.random.Generator, *, crackle: float = 8.0) -> np.ndarray:
    """Record surface noise (n,): soft hiss plus `crackle` random clicks per second."""
    hiss = synth.bandpass(synth.noise(rng, n), 800.0, 6000.0, sr) * 0.05
    clicks = np.zeros(n)
    count = int(crackle * n / sr)
    clicks[rng.integers(0, n, count)] = rng.uniform(-1.0, 1.0, count)
    return hiss + synth.highpass(clicks, 1500.0, sr)
