"""Stage `concat`: decode every track and join each genre's albums into one long track.

Output: <out>/<genre index>.flac (mono, 16-bit, target rate) per genre, index.csv (which
samples of it come from which album and track, and the track's artist tag or ""), skipped.csv (unusable audio and why)
and ignored.csv (files that are not audio).
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from spectrogenre.audio_io import artist_tag, atomic_flac_writer, read_mono
from spectrogenre.errors import AudioError, LibraryError
from spectrogenre.files import fresh_dir, write_csv
from spectrogenre.library import Album, scan_library

INDEX_COLUMNS = ["genre", "genre_file", "album", "track", "artist", "start", "end"]


def genre_file_name(genre_number: int) -> str:
    """Genre names can hold any character; files are named by position instead."""
    return f"genre-{genre_number:03d}.flac"


def concat_genre(albums: tuple[Album, ...], out_path: Path, *, sample_rate: int, library_root: Path):
    """Decode and append every track of one genre to `out_path`.

    Returns (index rows, skipped rows). A track is decoded whole before it is written,
    so a file that fails half way leaves nothing of itself behind.
    """
    rows, skipped = [], []
    position = 0
    with atomic_flac_writer(out_path, sample_rate=sample_rate) as writer:
        for album in albums:
            for track in album.tracks:
                try:
                    audio = read_mono(track, sample_rate=sample_rate)
                except AudioError as err:
                    skipped.append({"path": str(track), "problem": err.problem})
                    continue
                writer.write(np.clip(audio, -1.0, 1.0))
                rows.append({
                    "genre": album.genre, "genre_file": out_path.name, "album": album.name,
                    "track": str(track.relative_to(library_root)), "artist": artist_tag(track), "start": position, "end": position + len(audio),
                })
                position += len(audio)
    return rows, skipped


def concat_library(library: Path, out_dir: Path, *, sample_rate: int, jobs: int = 1) -> pd.DataFrame:
    """Run the concat stage; returns the index. Raises LibraryError for an unusable genre."""
    scan = scan_library(library)
    out_dir = fresh_dir(out_dir)
    genres = list(scan.genres)
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(genres)))) as pool:
        futures = [
            pool.submit(concat_genre, scan.genres[genre], out_dir / genre_file_name(number),
                        sample_rate=sample_rate, library_root=Path(library))
            for number, genre in enumerate(genres)
        ]
        results = [future.result() for future in futures]
    index_rows, skipped_rows = [], []
    for genre, (rows, skipped) in zip(genres, results):
        index_rows += rows
        skipped_rows += skipped
        for row in skipped:
            print(f"skipped {row['path']}: {row['problem']}", file=sys.stderr)
        if not rows:
            raise LibraryError(f"genre '{genre}' has no usable audio: all {len(skipped)} tracks failed to decode")
    index = pd.DataFrame(index_rows, columns=INDEX_COLUMNS)
    write_csv(index, out_dir / "index.csv")
    write_csv(pd.DataFrame(skipped_rows, columns=["path", "problem"]), out_dir / "skipped.csv")
    write_csv(pd.DataFrame([(str(p), why) for p, why in scan.ignored], columns=["path", "reason"]),
              out_dir / "ignored.csv")
    return index
