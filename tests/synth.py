"""Tiny synthetic audio for tests: sines, clicks, noise and silence with hand-checkable answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def sine(seconds: float, *, freq: float = 440.0, sr: int = 8000, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float, *, sr: int = 8000) -> np.ndarray:
    return np.zeros(int(round(seconds * sr)), dtype=np.float32)


def clicks(seconds: float, *, rate_hz: float = 4.0, sr: int = 8000, amp: float = 0.8) -> np.ndarray:
    """A click (a 5 ms decaying noise burst) every 1/rate_hz seconds."""
    out = silence(seconds, sr=sr)
    burst = np.random.default_rng(0).uniform(-amp, amp, int(0.005 * sr)) * np.linspace(1, 0, int(0.005 * sr))
    for start in range(0, len(out) - len(burst), int(sr / rate_hz)):
        out[start: start + len(burst)] = burst
    return out


def noise(seconds: float, *, sr: int = 8000, amp: float = 0.3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-amp, amp, int(round(seconds * sr))).astype(np.float32)


GENRE_SOUNDS = {
    "Drone": lambda s, sr, k: sine(s, freq=220.0 * (1 + 0.05 * k), sr=sr),
    "Clicks": lambda s, sr, k: clicks(s, rate_hz=4.0 + k, sr=sr),
    "Noise": lambda s, sr, k: noise(s, sr=sr, seed=k),
}


def write_tiny_library(root: Path, *, albums: int = 3, tracks: int = 2, seconds: float = 6.0,
                       gap_seconds: float = 1.5, sr: int = 16000) -> list[Path]:
    """<root>/<genre>/<album k>/<track j>.wav|flac for 3 easy genres; each track is
    `gap_seconds` of silence, `seconds` of sound, `gap_seconds` of silence."""
    paths = []
    for genre, make in GENRE_SOUNDS.items():
        for k in range(albums):
            for j in range(tracks):
                audio = np.concatenate([silence(gap_seconds, sr=sr), make(seconds, sr, k + j), silence(gap_seconds, sr=sr)])
                ext = "flac" if j % 2 else "wav"
                path = root / genre / f"Album {k}" / f"{j + 1:02d} Track.{ext}"
                path.parent.mkdir(parents=True, exist_ok=True)
                sf.write(path, audio, sr)
                paths.append(path)
    return paths
