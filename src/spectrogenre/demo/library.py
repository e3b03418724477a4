"""Writing the demo library: <root>/<Genre>/<Album>/<NN Title>.<ext>.

Every random choice comes from a generator seeded by (seed, genre, album, role, track),
so a track never depends on how many albums or genres are generated around it: a
larger `size` adds albums and leaves the existing ones bit-identical.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from spectrogenre.demo import naming
from spectrogenre.demo.genres import SPECS, sample_style, track_style
from spectrogenre.demo.genres.base import MIX_SR
from spectrogenre.demo.master import master

GENRES: tuple[str, ...] = ("Blues", "Classical", "Dubstep", "House", "Jazz", "Metal", "Pop-punk", "Rap", "Reggae")

# Containers, sample rates and channel counts of a personal library. MP3 is the commonest
# container but not 70 %: LAME (inside libsndfile, no speed setting) encodes only ~50x
# real time, so at 70 % MP3 encoding alone takes ~100 CPU-seconds for the default
# library and generation passes a minute on two cores; at 45 % it is ~60 s of CPU.
_EXTENSIONS = (("mp3", 0.45), ("flac", 0.3), ("wav", 0.25))
_RATES = ((44100, 0.7), (48000, 0.1), (32000, 0.1), (22050, 0.1))
_MONO_SHARE = 0.2
_MP3_KBPS = 128

# Roles: independent random streams of one album or track.
_ALBUM_STYLE, _ALBUM_NAMES, _TRACK_MUSIC, _TRACK_CONTAINER = range(4)


@dataclass(frozen=True)
class TrackJob:
    """One file to write: where, what, and in which container.

    relpath: path below the library root; seconds: length of the music without the
    silent lead-in/out; sr: sample rate (Hz); channels: 1 or 2; ext: mp3, flac or wav.
    """

    genre: str
    album: int
    track: int
    seed: int
    relpath: Path
    seconds: float
    sr: int
    channels: int
    ext: str


def album_count(albums_per_genre: int, size: float) -> int:
    """Albums per genre for a library `size`: round(albums_per_genre * size), at least 3
    (the album-disjoint split needs an album for each of train, validation and test)."""
    return max(3, int(round(albums_per_genre * size)))


def _rng(seed: int, genre: str, album: int, role: int, track: int = 0) -> np.random.Generator:
    # crc32 rather than hash(): stable across processes and Python versions.
    return np.random.default_rng([seed, zlib.crc32(genre.encode()), album, role, track])


def _pick(rng: np.random.Generator, options: tuple[tuple[object, float], ...]) -> object:
    values, weights = zip(*options)
    return values[int(rng.choice(len(values), p=np.array(weights) / sum(weights)))]


def plan_library(*, size: float = 1.0, seed: int = 0, albums_per_genre: int = 5, tracks_per_album: int = 3,
                 track_seconds: tuple[float, float] = (40.0, 70.0)) -> list[TrackJob]:
    """Every file of the library, genre by genre, album by album (nothing is rendered)."""
    low, high = track_seconds
    if size <= 0 or albums_per_genre < 1 or tracks_per_album < 1 or not 0 < low <= high or seed < 0:
        raise ValueError("need size > 0, albums_per_genre >= 1, tracks_per_album >= 1, "
                         f"0 < track_seconds[0] <= track_seconds[1] and seed >= 0; got size={size}, "
                         f"albums_per_genre={albums_per_genre}, tracks_per_album={tracks_per_album}, "
                         f"track_seconds={track_seconds}, seed={seed}")
    jobs = []
    for genre in GENRES:
        for album in range(album_count(albums_per_genre, size)):
            names_rng = _rng(seed, genre, album, _ALBUM_NAMES)
            folder = naming.album_folder(album, names_rng)
            titles = naming.track_titles(tracks_per_album, names_rng)
            for track, title in enumerate(titles):
                rng = _rng(seed, genre, album, _TRACK_CONTAINER, track)
                ext = str(_pick(rng, _EXTENSIONS))
                jobs.append(TrackJob(
                    genre=genre, album=album, track=track, seed=seed,
                    relpath=Path(genre) / folder / f"{title}.{ext}",
                    seconds=float(rng.uniform(low, high)),
                    sr=int(_pick(rng, _RATES)),
                    channels=1 if rng.random() < _MONO_SHARE else 2,
                    ext=ext,
                ))
    return jobs


def render_track(job: TrackJob) -> np.ndarray:
    """The samples of one file, shape (m, job.channels), float32 in (-1, 1).

    m covers lead-in (1-3 s of near-silence), `job.seconds` of music and lead-out.
    """
    spec = SPECS[job.genre]
    album_rng = _rng(job.seed, job.genre, job.album, _ALBUM_STYLE)
    style = sample_style(spec, album_rng)
    level_db = float(album_rng.uniform(-6.0, -1.0))  # the album's mastering level (peak)
    knee = float(album_rng.uniform(0.45, 0.85))
    floor_db = float(album_rng.uniform(-86.0, -78.0))  # recording noise under the music
    digital_gaps = bool(album_rng.random() < 0.6)  # else the noise runs on between tracks (tape)

    rng = _rng(job.seed, job.genre, job.album, _TRACK_MUSIC, job.track)
    style = track_style(style, rng)
    music = spec.render(style, seconds=job.seconds, sr=MIX_SR, rng=rng)

    breaks = []
    if rng.random() < 0.2:
        # A stop of the whole band, ending on a downbeat (like the pause before a drop).
        bar_s = 240.0 / style.tempo
        length = float(rng.uniform(0.3, 0.75))
        end = math.ceil(rng.uniform(0.3, 0.7) * job.seconds / bar_s) * bar_s
        if length < end < job.seconds - 4.0:
            breaks.append((end - length, length))
    return master(music, sr=MIX_SR, out_sr=job.sr, rng=rng, tilt_db=style.tilt_db, knee=knee, level_db=level_db,
                  lead_in=float(rng.uniform(1.1, 3.0)), lead_out=float(rng.uniform(1.1, 3.0)),
                  fade_out=float(rng.uniform(1.5, 3.5)), breaks=breaks, channels=job.channels,
                  floor_db=floor_db, digital_gaps=digital_gaps)


def _container(ext: str, sr: int) -> dict[str, object]:
    """soundfile.write keywords for an extension."""
    if ext == "mp3":
        # libsndfile maps compression_level c linearly onto the bitrate range of the
        # MPEG version: 320 - c*288 kbps for MPEG-1 (>= 32 kHz), 160 - c*152 for MPEG-2.
        top, span = (320.0, 288.0) if sr >= 32000 else (160.0, 152.0)
        level = (top - _MP3_KBPS) / span - 1e-6  # libsndfile truncates: stay on the right side
        return {"format": "MP3", "subtype": "MPEG_LAYER_III", "compression_level": level,
                "bitrate_mode": "CONSTANT"}
    return {"format": ext.upper(), "subtype": "PCM_16"}


def write_audio(path: Path, audio: np.ndarray, sr: int, ext: str) -> None:
    """Write atomically: a hidden temporary file in the same folder, then os.replace,
    so an interrupted run never leaves a truncated file under the final name."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        sf.write(tmp, audio, sr, **_container(ext, sr))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_job(root: Path, job: TrackJob) -> Path:
    path = root / job.relpath
    write_audio(path, render_track(job), job.sr, job.ext)
    return path


def generate_demo_library(root: Path, *, size: float = 1.0, seed: int = 0, albums_per_genre: int = 5,
                          tracks_per_album: int = 3, track_seconds: tuple[float, float] = (40.0, 70.0)) -> list[Path]:
    """Write <root>/<Genre>/<Album name>/<NN Track name>.<ext> for every genre; return the written paths (sorted).

    `size` multiplies the number of albums per genre (round(albums_per_genre*size), at least 3).
    Tracks are rendered in parallel by worker processes, one per usable CPU; the result
    does not depend on it. The workers are spawned, so a calling script must keep its
    top-level code under `if __name__ == "__main__":`.
    """
    root = Path(root)
    jobs = plan_library(size=size, seed=seed, albums_per_genre=albums_per_genre,
                        tracks_per_album=tracks_per_album, track_seconds=track_seconds)
    for folder in sorted({(root / job.relpath).parent for job in jobs}):
        folder.mkdir(parents=True, exist_ok=True)
    # Longest first, so no worker is left with a long track at the end.
    jobs.sort(key=lambda job: -job.seconds * job.sr)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = min(cpus, len(jobs))
    if workers <= 1:
        return sorted(_write_job(root, job) for job in jobs)
    # spawn: workers start clean instead of inheriting the caller's threads and state.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return sorted(pool.map(_write_job, [root] * len(jobs), jobs))
