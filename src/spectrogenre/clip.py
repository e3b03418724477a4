"""Stage `clip`: cut clips of the trimmed audio, within each split group, with provenance.

A clip is made of one or more source segments of its genre's concatenated track (more
than one where a silence was cut out of it). Clips never cross a group boundary (an
album, else an artist, else a track: concat's `group`), so splitting by group keeps
every clip, and every track, in one set.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spectrogenre.files import fresh_dir, read_csv, write_csv, write_json

if TYPE_CHECKING:  # pandas is imported where the stage runs: predict's start skips it (0.4 s)
    import pandas as pd

# track: the track holding most of the clip; track_offset_s: where the clip starts in it.
CLIP_COLUMNS = ["clip_id", "genre", "genre_file", "group", "grouped_by", "track", "track_offset_s", "segments"]


def intersect(intervals: np.ndarray, start: int, end: int) -> np.ndarray:
    """The parts of sorted intervals (k, 2) that lie within [start, end): (m, 2)."""
    clipped = np.clip(intervals, start, end)
    return clipped[clipped[:, 1] > clipped[:, 0]]


def cut_clips(segments: np.ndarray, *, clip_samples: int, hop_samples: int) -> list[np.ndarray]:
    """Cut clips of `clip_samples` every `hop_samples` from the concatenation of `segments`.

    segments: (k, 2) sorted [start, end) sample intervals that together form the trimmed
    audio. Returns one (m, 2) array of source intervals per clip; a remainder shorter
    than a clip is not used.
    """
    total = int((segments[:, 1] - segments[:, 0]).sum())
    return [clip_at(segments, start, clip_samples=clip_samples)
            for start in range(0, total - clip_samples + 1, hop_samples)]


def clip_at(segments: np.ndarray, start: int, *, clip_samples: int) -> np.ndarray:
    """Source intervals (m, 2) of the clip of `clip_samples` that starts `start` samples into the
    concatenation of `segments` (k, 2); start + clip_samples must not pass its end."""
    offsets = np.concatenate([[0], np.cumsum(segments[:, 1] - segments[:, 0])])  # trimmed start of each segment
    end = start + clip_samples
    if start < 0 or end > offsets[-1]:
        raise ValueError(f"clip [{start}, {end}) is outside the {int(offsets[-1])} trimmed samples")
    first = np.searchsorted(offsets, start, side="right") - 1
    last = np.searchsorted(offsets, end, side="left") - 1
    parts = segments[first: last + 1].copy()
    parts[0, 0] += start - offsets[first]
    parts[-1, 1] = segments[last, 0] + (end - offsets[last])
    return parts


def group_segments(index: pd.DataFrame, kept: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """(genre_file, group) -> the group's trimmed audio as sorted source intervals (k, 2).

    index: concat's index.csv (genre_file, group, start, end per track; a group's tracks are
    contiguous); kept: trim's kept.csv.
    """
    segments = {}
    for (genre_file, group), tracks in index.groupby(["genre_file", "group"], sort=False):
        intervals = kept.loc[kept["genre_file"] == genre_file, ["start", "end"]].to_numpy()
        segments[(genre_file, group)] = intersect(intervals, int(tracks["start"].min()), int(tracks["end"].max()))
    return segments


def samples_in(parts: np.ndarray, tracks: pd.DataFrame) -> np.ndarray:
    """How many of the samples of `parts` (k, 2) each of `tracks` (columns start, end) holds."""
    overlap = np.zeros(len(tracks), dtype=np.int64)
    starts, ends = tracks["start"].to_numpy(), tracks["end"].to_numpy()
    for s, e in parts:
        overlap += np.clip(np.minimum(ends, e) - np.maximum(starts, s), 0, None)
    return overlap


def tracks_without_clips(tracks: pd.DataFrame, segments: np.ndarray, used: np.ndarray, *,
                         sample_rate: int) -> list[dict]:
    """The tracks of one group none of whose samples is in a clip (`used`: each track's samples in the group's
    clips), each with why: all silence (trim cut it whole), or too little sound left (what trim kept of it,
    `segments`, fell outside the group's clips: its last part, shorter than a clip, or a hop's gap). None is
    dropped unsaid: a track that trains nothing is listed."""
    kept = samples_in(segments, tracks)
    return [{"track": track, "seconds": round((end - start) / sample_rate, 2),
             "why": "all silence (trim cut it whole)" if sound == 0 else
                    f"{sound / sample_rate:.1f} s of sound once silences are cut, outside every clip of its group"}
            for track, start, end, sound, in_clips in zip(tracks["track"], tracks["start"], tracks["end"], kept, used)
            if in_clips == 0]


def format_segments(parts: np.ndarray) -> str:
    """'start-end;start-end' source sample ranges, the inverse of parse_segments."""
    return ";".join(f"{s}-{e}" for s, e in parts)


def parse_segments(text: str) -> np.ndarray:
    return np.array([[int(v) for v in part.split("-")] for part in text.split(";")], dtype=np.int64)


def clip_library(concat_dir: Path, trim_dir: Path, out_dir: Path, *, sample_rate: int,
                 clip_seconds: float, hop_seconds: float) -> pd.DataFrame:
    """Run the clip stage: write clips.csv (one row per clip) and summary.json."""
    import pandas as pd

    out_dir = fresh_dir(out_dir)
    index = read_csv(concat_dir / "index.csv", dtype={"group": str, "track": str})
    kept = read_csv(trim_dir / "kept.csv")
    clip_samples = int(round(clip_seconds * sample_rate))
    hop_samples = int(round(hop_seconds * sample_rate))
    rows, summary = [], {}
    trimmed_groups = group_segments(index, kept)
    for (genre_file, group), tracks in index.groupby(["genre_file", "group"], sort=False):
        genre, grouped_by = tracks["genre"].iloc[0], tracks["grouped_by"].iloc[0]
        segments = trimmed_groups[(genre_file, group)]
        clips = cut_clips(segments, clip_samples=clip_samples, hop_samples=hop_samples)
        in_clips = np.zeros(len(tracks), dtype=np.int64)  # each track's samples in the group's clips
        for parts in clips:
            in_this = samples_in(parts, tracks)
            in_clips += in_this
            track = tracks.iloc[int(np.argmax(in_this))]  # the track holding most of the clip
            inside = intersect(parts, int(track["start"]), int(track["end"]))
            rows.append({
                "clip_id": len(rows), "genre": genre, "genre_file": genre_file, "group": group, "grouped_by": grouped_by,
                "track": track["track"], "track_offset_s": round((inside[0, 0] - track["start"]) / sample_rate, 3),
                "segments": format_segments(parts),
            })
        trimmed = int((segments[:, 1] - segments[:, 0]).sum())
        used = (len(clips) - 1) * hop_samples + clip_samples if clips else 0
        stats = summary.setdefault(genre, {"groups": 0, "clips": 0, "unused_seconds": 0.0, "groups_without_clips": [],
                                           "tracks_without_clips": []})
        stats["groups"] += 1
        stats["clips"] += len(clips)
        stats["unused_seconds"] = round(stats["unused_seconds"] + max(0, trimmed - used) / sample_rate, 3)
        if not clips:
            stats["groups_without_clips"].append(group)
        unused = tracks_without_clips(tracks, segments, in_clips, sample_rate=sample_rate)
        for track in unused:  # a track that trains nothing is said, by name, as concat's skipped tracks are
            print(f"clip: {track['track']}: in no clip: {track['why']}", file=sys.stderr)
        stats["tracks_without_clips"] += unused
    table = pd.DataFrame(rows, columns=CLIP_COLUMNS)
    write_csv(table, out_dir / "clips.csv")
    write_json(summary, out_dir / "summary.json")
    return table
