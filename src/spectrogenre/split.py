"""Stage `split`: album-disjoint train/val/test sets, written as shuffled, bounded chunks.

Every album goes to exactly one set, so no track (and no clip of it) is in two sets.
Each chunk file mixes the genres and albums of its set, so that a model streaming
chunk after chunk never trains on one album at a time (the seed's over-fitting).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spectrogenre.errors import LibraryError
from spectrogenre.features import rows_per_file
from spectrogenre.files import fresh_dir, write_csv, write_json, write_npz

SPLITS = ("train", "val", "test")


def assign_albums(album_clips: dict[str, int], ratios: dict[str, float], *, rng: np.random.Generator,
                  genre: str) -> dict[str, str]:
    """Assign each album (name -> clip count) of one genre to a split.

    Albums go largest first (ties in a seeded random order) to the split furthest below
    its share of the genre's clips; the last albums are kept for any split still
    empty, so every split gets at least one. Raises LibraryError when the genre has
    fewer albums than splits.
    """
    if len(album_clips) < len(ratios):
        raise LibraryError(
            f"genre '{genre}' has {len(album_clips)} album(s) with at least one clip; the album-disjoint "
            f"{'/'.join(ratios)} split needs at least {len(ratios)}: add albums or remove the genre"
        )
    albums = list(album_clips)
    rng.shuffle(albums)
    albums.sort(key=lambda album: -album_clips[album])  # stable: ties keep the shuffled order
    total = sum(album_clips.values())
    filled = dict.fromkeys(ratios, 0)
    assignment: dict[str, str] = {}
    for position, album in enumerate(albums):
        empty = [name for name in ratios if name not in assignment.values()]
        candidates = empty if len(albums) - position <= len(empty) else list(ratios)
        split = max(candidates, key=lambda name: ratios[name] * total - filled[name])
        assignment[album] = split
        filled[split] += album_clips[album]
    return assignment


def leak_report(clips: pd.DataFrame) -> dict:
    """Albums and tracks per split and their pairwise overlaps (all empty when the split is sound)."""
    albums = {s: set(zip(g["genre"], g["album"])) for s, g in clips.groupby("split")}
    tracks = {s: set(g["track"]) for s, g in clips.groupby("split")}
    overlaps = {}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1:]:
            overlaps[f"{a}&{b}"] = {
                "albums": sorted(f"{g}/{n}" for g, n in albums.get(a, set()) & albums.get(b, set())),
                "tracks": sorted(tracks.get(a, set()) & tracks.get(b, set())),
            }
    return {
        "disjoint": all(not v["albums"] and not v["tracks"] for v in overlaps.values()),
        "overlaps": overlaps,
        "albums": {s: sorted(f"{g}/{n}" for g, n in albums.get(s, set())) for s in SPLITS},
        "clips": {s: int((clips["split"] == s).sum()) for s in SPLITS},
    }


def write_chunks(clips: pd.DataFrame, features_dir: Path, out_dir: Path, *, split: str, chunk_rows: int,
                 rng: np.random.Generator) -> list[str]:
    """Write one split's clips, shuffled, as chunk files of at most chunk_rows rows.

    Each chunk holds x (rows, bins, frames) float16, y (rows,) int16 genre numbers and
    clip_id (rows,) int64. Rows are read from memory-mapped shards, so memory is one chunk.
    """
    order = clips.iloc[rng.permutation(len(clips))]
    shards: dict[str, np.ndarray] = {}
    names = []
    for number, first in enumerate(range(0, len(order), chunk_rows)):
        part = order.iloc[first: first + chunk_rows]
        x = np.stack([
            _shard(shards, features_dir, shard)[row] for shard, row in zip(part["shard"], part["row"])
        ])
        name = f"chunks/{split}-{number:05d}.npz"
        write_npz(out_dir / name, x=x, y=part["label"].to_numpy(np.int16), clip_id=part["clip_id"].to_numpy(np.int64))
        names.append(name)
    return names


def _shard(cache: dict, features_dir: Path, name: str) -> np.ndarray:
    if name not in cache:
        cache[name] = np.load(features_dir / name, mmap_mode="r")
    return cache[name]


def split_dataset(clip_dir: Path, features_dir: Path, out_dir: Path, *, ratios: dict[str, float], seed: int,
                  chunk_mb: float) -> dict:
    """Run the split stage: chunks, clips.csv (with split and label), labels.json, leak_report.json."""
    out_dir = fresh_dir(out_dir)
    clips = pd.read_csv(clip_dir / "clips.csv").merge(pd.read_csv(features_dir / "index.csv"), on="clip_id")
    labels = sorted(clips["genre"].unique())
    clips["label"] = clips["genre"].map({g: i for i, g in enumerate(labels)})
    rng = np.random.default_rng(seed)
    assignment = {}
    for genre, group in clips.groupby("genre"):
        counts = group.groupby("album").size().to_dict()
        for album, split in assign_albums(counts, ratios, rng=rng, genre=genre).items():
            assignment[(genre, album)] = split
    clips["split"] = [assignment[key] for key in zip(clips["genre"], clips["album"])]
    first = np.load(features_dir / clips["shard"].iloc[0], mmap_mode="r")
    chunk_rows = rows_per_file(first.shape[1:], max_mb=chunk_mb)
    chunks = {s: write_chunks(clips[clips["split"] == s], features_dir, out_dir, split=s, chunk_rows=chunk_rows,
                              rng=rng) for s in SPLITS}
    report = leak_report(clips)
    if not report["disjoint"]:  # cannot happen by construction; a guard against future edits
        raise LibraryError(f"album-disjoint split failed: {report['overlaps']}")
    write_csv(clips[["clip_id", "genre", "album", "track", "split", "label"]], out_dir / "clips.csv")
    write_json({"labels": labels, "chunks": chunks, "input_shape": list(first.shape[1:])}, out_dir / "dataset.json")
    write_json(report, out_dir / "leak_report.json")
    return report
