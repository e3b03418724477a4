"""What the figures read: synthetic mp3 libraries, the demo library and copies of it, one long song.

Every library is laid out as the pipeline reads it: <genre>/<album>/<track>.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

AUDIO_SUFFIXES = (".mp3", ".flac", ".wav", ".ogg", ".aif", ".aiff")


def synth_library(root: Path, *, genres: int = 9, albums: int = 5, tracks: int = 4, seconds: float = 60.0,
                  sample_rate: int = 44100) -> Path:
    """Stereo mp3s: per genre its own chord and beat, noise, and a 2 s silence somewhere in each track."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    for g in range(genres):
        chord = 110.0 * 2 ** (np.array([0, 4, 7]) / 12 + g / 4)
        beat = 0.5 + 0.5 * (np.sin(2 * np.pi * (1 + g / 3) * t) > 0)
        for a in range(albums):
            folder = root / f"genre-{g}" / f"album-{a}"
            folder.mkdir(parents=True, exist_ok=True)
            for k in range(tracks):
                tone = sum(np.sin(2 * np.pi * f * (1 + 0.01 * (a + k)) * t) for f in chord) / 6
                left = tone * beat + rng.normal(0, 0.02, len(t))
                gap = int(rng.uniform(0.2, 0.8) * len(t))
                left[gap: gap + 2 * sample_rate] = 0.0
                stereo = np.stack([left, np.roll(left, 50)], axis=1).astype(np.float32)
                sf.write(folder / f"{k + 1:02d}.mp3", stereo, sample_rate, format="MP3")
    return root


def tracks(library: Path) -> list[Path]:
    return sorted(p for p in Path(library).rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def audio_seconds(paths: list[Path]) -> float:
    return sum(sf.info(str(p)).duration for p in paths)


def multiplied(base: Path, root: Path, factor: int) -> Path:
    """`base` with every album present `factor` times under new names, as hard links (no bytes copied)."""
    for track in tracks(base):
        relative = track.relative_to(base)
        genre, album, rest = relative.parts[0], relative.parts[1], Path(*relative.parts[2:])
        for copy in range(factor):
            target = root / genre / (album if copy == 0 else f"{album} (copy {copy})") / rest
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(track, target)
    return root


def demo_library(root: Path, params: dict) -> Path:
    """The pipeline's own demo library at params.yaml's demo settings."""
    from spectrogenre.demo import generate_demo_library

    generate_demo_library(root, **params["demo"])
    return root


def long_song(sources: list[Path], path: Path, *, seconds: float) -> Path:
    """One mp3 of `seconds`, the sources' audio one after the other (all must share a rate and channel count)."""
    parts, total = [], 0
    for source in sources:
        audio, sample_rate = sf.read(str(source), dtype="float32", always_2d=True)
        parts.append(audio)
        total += len(audio)
        if total >= seconds * sample_rate:
            break
    sf.write(path, np.concatenate(parts)[: int(seconds * sample_rate)], sample_rate, format="MP3")
    return path
