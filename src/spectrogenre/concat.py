"""Stage `concat`: decode every track of the scan stage's list and join each genre's into one long track.

Output: <out>/<genre index>.flac (mono, 16-bit, target rate) per genre, index.csv (which
samples of it come from which track, and the track's split group, album and artist),
skipped.csv (tracks the scan left out and tracks that failed to decode, with the reason)
and ignored.csv (files that are not audio).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from spectrogenre.audio_io import (
    ENDED_ITS_PROCESS,
    DecodeLimits,
    DecodeWarnings,
    atomic_flac_writer,
    stream_mono,
)
from spectrogenre.cluster import executor, ordered_map
from spectrogenre.errors import AudioError, LibraryError
from spectrogenre.files import fresh_dir, read_csv, write_csv
from spectrogenre.frontend import to_int16_steps
from spectrogenre.library.scan import library_root

INDEX_COLUMNS = ["genre", "genre_file", "group", "grouped_by", "album", "artist", "track", "start", "end"]


def genre_file_name(genre_number: int) -> str:
    """Genre names can hold any character; files are named by position instead."""
    return f"genre-{genre_number:03d}.flac"


def decode_track(path: Path, sample_rate: int) -> tuple[np.ndarray, list[str]] | str:
    """One track as 16-bit steps (int16, what the genre file stores) at `sample_rate` with what its decode warned
    of (damage decoded past, a file cut short), or its problem (str). The warnings come back with the samples,
    for the stage to say, since a cluster's worker logs where no one reads. Each block is made steps as it is
    decoded: a track's float32 samples whole would take twice the memory, and their rounding's temporaries as
    much again (an hour at 22.05 kHz: 160 MB of steps, not 1 GB)."""
    warned = DecodeWarnings(logged=False)
    try:
        steps = [to_int16_steps(block) for block in stream_mono(path, sample_rate=sample_rate,
                                                                 limits=DecodeLimits(warnings=warned))]
    except AudioError as err:
        return err.problem
    return np.concatenate([np.zeros(0, np.int16), *steps]), warned.problems


def concat_library(library: Path, scan_dir: Path, out_dir: Path, *, sample_rate: int, jobs: int = 1) -> pd.DataFrame:
    """Run the concat stage over the scan stage's tracks.csv; returns the index.

    Every track is one task (spectrogenre.cluster: local processes or a Dask cluster); each genre's
    file is written here, its tracks in tracks.csv's order, a track only once it decoded whole.
    Raises LibraryError for a genre none of whose tracks decode.
    """
    tracks = read_csv(scan_dir / "tracks.csv", dtype=str)
    out_dir = fresh_dir(out_dir)
    genres = list(dict.fromkeys(tracks["genre"]))
    root = library_root(library)
    results = []
    with executor(jobs) as (pool, slots):
        for number, genre in enumerate(genres):
            rows, failed, position = [], [], 0
            genre_tracks = tracks[tracks["genre"] == genre]
            out_path = out_dir / genre_file_name(number)
            with atomic_flac_writer(out_path, sample_rate=sample_rate) as writer:
                # an absolute name (a manifest's) stays as it is under the root; a task gets an absolute path,
                # since a cluster's worker runs in a folder of its own
                decoded = ordered_map(pool, decode_track, (((root / t).absolute(), sample_rate)
                                                           for t in genre_tracks["track"]), in_flight=2 * slots,
                                      if_killed=lambda _: ENDED_ITS_PROCESS)
                for track, result in zip(genre_tracks.itertuples(index=False), decoded):
                    if isinstance(result, str):
                        failed.append({"path": track.track, "problem": result})
                        continue
                    audio, warnings = result
                    for warning in warnings:
                        print(f"{track.track}: {warning}", file=sys.stderr, flush=True)
                    writer.write(audio)
                    rows.append({"genre": track.genre, "genre_file": out_path.name, "group": track.group,
                                 "grouped_by": track.grouped_by, "album": track.album, "artist": track.artist,
                                 "track": track.track, "start": position, "end": position + len(audio)})
                    position += len(audio)
            results.append((rows, failed))
    index_rows = []
    skipped = read_csv(scan_dir / "skipped.csv", dtype=str).to_dict("records")
    for genre, (rows, failed) in zip(genres, results):
        index_rows += rows
        skipped += failed
        for row in failed:
            print(f"skipped {row['path']}: {row['problem']}", file=sys.stderr)
        if not rows:
            raise LibraryError(f"genre '{genre}' has no usable audio: all {len(failed)} tracks failed to decode")
    index = pd.DataFrame(index_rows, columns=INDEX_COLUMNS)
    write_csv(index, out_dir / "index.csv")
    write_csv(pd.DataFrame(skipped, columns=["path", "problem"]), out_dir / "skipped.csv")
    write_csv(read_csv(scan_dir / "ignored.csv", dtype=str), out_dir / "ignored.csv")
    return index
