"""Stage `trim`: find silences longer than min_silence_s and keep everything else.

The audio is not rewritten: the output is the list of kept sample intervals of each
concatenated genre track (the map of what survived), which `clip` cuts from.
Shorter silences stay, since a pause can be a genre cue (classical).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from spectrogenre.cluster import executor, ordered_map
from spectrogenre.files import fresh_dir, read_csv, write_csv, write_json
from spectrogenre.params import TrimParams

if TYPE_CHECKING:  # pandas is imported where the stage runs: predict's start skips it (0.4 s)
    import pandas as pd

BLOCK_FRAMES = 4096  # level frames decoded per read


def frame_levels_db(audio: np.ndarray, *, frame_length: int) -> np.ndarray:
    """RMS level in dBFS of consecutive, non-overlapping frames of mono audio (n,), each frame's mean
    taken out first: a constant offset (DC, from a faulty converter or a badly edited file) is not
    sound, and a silence sitting on one stays silent.

    Returns (ceil(n / frame_length),); the last frame may be shorter. Digital silence is -inf dB,
    any other constant hundreds of dB below full scale: below any threshold.
    """
    n_full = len(audio) // frame_length
    frames = [audio[: n_full * frame_length].reshape(n_full, frame_length)]
    if len(audio) % frame_length:
        frames.append(audio[n_full * frame_length:].reshape(1, -1))
    power = np.concatenate([_ac_power(f) for f in frames])
    with np.errstate(divide="ignore"):
        return 10 * np.log10(power)


def _ac_power(frames: np.ndarray) -> np.ndarray:
    """Mean square of each row about its own mean, in float64: (rows,)."""
    frames = frames.astype(np.float64)
    return np.square(frames - frames.mean(axis=1, keepdims=True)).mean(axis=1)


def silent_runs(levels_db: np.ndarray, *, threshold_db: float) -> np.ndarray:
    """[start, stop) frame indices of each maximal run of frames below `threshold_db`: (k, 2)."""
    silent = np.concatenate([[False], levels_db < threshold_db, [False]])
    edges = np.flatnonzero(np.diff(silent.astype(np.int8)))
    return edges.reshape(-1, 2)


def kept_intervals(levels_db: np.ndarray, *, n_samples: int, frame_length: int,
                   threshold_db: float, min_silence_samples: int) -> np.ndarray:
    """Sample intervals [start, end) left after removing silences longer than min_silence_samples.

    levels_db holds one level per frame of `frame_length` samples (see frame_levels_db).
    Returns (k, 2) int64, in order, non-empty, non-overlapping.
    """
    runs = silent_runs(levels_db, threshold_db=threshold_db) * frame_length
    runs = np.minimum(runs, n_samples)
    long_runs = runs[(runs[:, 1] - runs[:, 0]) > min_silence_samples]
    bounds = np.concatenate([[0], long_runs.ravel(), [n_samples]]).reshape(-1, 2)
    return bounds[bounds[:, 1] > bounds[:, 0]].astype(np.int64)


def sound_fraction(clip: np.ndarray, params: TrimParams, sample_rate: int) -> float:
    """Share of a window that the silence rule keeps when applied to the window alone: 1 unless the window
    holds silences longer than min_silence_s (short pauses, sparse clicks and quiet codas are sound)."""
    if not params.enabled:
        return 1.0
    frame_length = params.frame_length(sample_rate)
    kept = kept_intervals(frame_levels_db(clip, frame_length=frame_length), n_samples=len(clip),
                          frame_length=frame_length, threshold_db=params.threshold_db,
                          min_silence_samples=params.min_silence_samples(sample_rate))
    return float((kept[:, 1] - kept[:, 0]).sum() / len(clip))


# One task reads this many level frames of a genre file (30 minutes at 20 ms): a 30-hour genre is 60 tasks.
TASK_FRAMES = 90_000


def file_levels(path: Path, first_frame: int, stop_frame: int, frame_length: int) -> np.ndarray:
    """frame_levels_db of frames [first_frame, stop_frame) of a genre file, read block by block."""
    with sf.SoundFile(str(path)) as handle:
        handle.seek(first_frame * frame_length)
        frames = (stop_frame - first_frame) * frame_length
        levels = [frame_levels_db(block, frame_length=frame_length)
                  for block in handle.blocks(blocksize=frame_length * BLOCK_FRAMES, frames=frames, dtype="float32")]
    return np.concatenate([np.zeros(0), *levels])


def trim_library(concat_dir: Path, out_dir: Path, params: TrimParams, *, jobs: int = 1) -> pd.DataFrame:
    """Run the trim stage: write kept.csv (genre_file, start, end) and summary.json.

    Each stretch of TASK_FRAMES level frames of a genre file is one task (spectrogenre.cluster:
    local processes or a Dask cluster); its levels, joined in order, are the file's.
    """
    import pandas as pd

    out_dir = fresh_dir(out_dir)
    index = read_csv(concat_dir / "index.csv", dtype={"group": str, "track": str})
    genres = list(index[["genre", "genre_file"]].drop_duplicates().itertuples(index=False))
    results = []
    with executor(jobs) as (pool, slots):
        for _, genre_file in genres:
            path = concat_dir / genre_file
            info = sf.info(str(path))
            n_samples, sample_rate = info.frames, info.samplerate
            if not params.enabled:
                results.append((np.array([[0, n_samples]], dtype=np.int64), n_samples, sample_rate))
                continue
            frame_length = params.frame_length(sample_rate)
            n_frames = -(-n_samples // frame_length)
            # an absolute path: a cluster's worker runs in a folder of its own
            tasks = ((path.absolute(), first, min(first + TASK_FRAMES, n_frames), frame_length)
                     for first in range(0, n_frames, TASK_FRAMES))
            levels = np.concatenate([np.zeros(0), *ordered_map(pool, file_levels, tasks, in_flight=2 * slots)])
            intervals = kept_intervals(levels, n_samples=n_samples, frame_length=frame_length,
                                       threshold_db=params.threshold_db,
                                       min_silence_samples=params.min_silence_samples(sample_rate))
            results.append((intervals, n_samples, sample_rate))
    rows, summary = [], {}
    for (genre, genre_file), (intervals, n_samples, sample_rate) in zip(genres, results):
        kept = int((intervals[:, 1] - intervals[:, 0]).sum())
        summary[genre] = {
            "seconds": round(n_samples / sample_rate, 3),
            "kept_seconds": round(kept / sample_rate, 3),
            "removed_seconds": round((n_samples - kept) / sample_rate, 3),
            "kept_intervals": len(intervals),
        }
        rows += [{"genre_file": genre_file, "start": s, "end": e} for s, e in intervals]
    kept = pd.DataFrame(rows, columns=["genre_file", "start", "end"])
    write_csv(kept, out_dir / "kept.csv")
    write_json(summary, out_dir / "summary.json")
    return kept
