"""Stage `split`: album-disjoint train/val/test assignment of the clips, and a leak report.

Every album goes to exactly one set, so no track (and no clip of it) is in two sets.
Each set's clips get a seeded random order, which the features stage follows when it
writes them as chunks, so that every chunk mixes genres and albums (the seed trained
on one album at a time and over-fitted to it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spectrogenre.errors import LibraryError
from spectrogenre.files import fresh_dir, write_csv, write_json

SPLITS = ("train", "val", "test")
SPLIT_COLUMNS = ["clip_id", "genre", "album", "track", "split", "label", "order"]


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


def split_clips(clips: pd.DataFrame, *, ratios: dict[str, float], seed: int) -> pd.DataFrame:
    """clips (clip_id, genre, album, track, ...) with split, label (genre number) and order (shuffled position)."""
    rng = np.random.default_rng(seed)
    clips = clips.copy()
    labels = sorted(clips["genre"].unique())
    clips["label"] = clips["genre"].map({g: i for i, g in enumerate(labels)})
    assignment = {}
    for genre, group in clips.groupby("genre"):
        counts = group.groupby("album").size().to_dict()
        for album, split in assign_albums(counts, ratios, rng=rng, genre=genre).items():
            assignment[(genre, album)] = split
    clips["split"] = [assignment[key] for key in zip(clips["genre"], clips["album"])]
    clips["order"] = 0
    for split in SPLITS:
        rows = clips.index[clips["split"] == split]
        clips.loc[rows, "order"] = rng.permutation(len(rows))
    return clips[SPLIT_COLUMNS]


def split_dataset(clip_dir: Path, out_dir: Path, *, ratios: dict[str, float], seed: int) -> dict:
    """Run the split stage: clips.csv (with split, label, order) and leak_report.json."""
    out_dir = fresh_dir(out_dir)
    clips = split_clips(pd.read_csv(clip_dir / "clips.csv"), ratios=ratios, seed=seed)
    report = leak_report(clips)
    if not report["disjoint"]:  # cannot happen by construction; a guard against future edits
        raise LibraryError(f"album-disjoint split failed: {report['overlaps']}")
    write_csv(clips, out_dir / "clips.csv")
    write_json(report, out_dir / "leak_report.json")
    return report
