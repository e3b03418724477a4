"""Stage `split`: group-disjoint train/val/test assignment of the clips, and a leak report.

Every group (an album where the library knows it, else an artist, else a lone track)
goes to exactly one set, so no track (and no clip of it) is in two sets: its unit
(library.groups.split_units), so one album's tracks under two genre tags are in one set too.
Each set's clips get a seeded random order, which the features stage follows when it
writes them as chunks, so that every chunk mixes genres and albums (the seed trained
on one album at a time and over-fitted to it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spectrogenre.errors import LibraryError
from spectrogenre.files import fresh_dir, read_csv, write_csv, write_json
from spectrogenre.library.groups import split_units

SPLITS = ("train", "val", "test")
SPLIT_COLUMNS = ["clip_id", "genre", "group", "grouped_by", "track", "split", "label", "order"]


def assign_groups(group_clips: dict[str, int], ratios: dict[str, float], *, rng: np.random.Generator,
                  genre: str, placed: dict[str, str] | None = None) -> dict[str, str]:
    """Assign each group (name -> clip count) of one genre to a split.

    Groups go largest first (ties in a seeded random order) to the split furthest below
    its share of the genre's clips; the last groups are kept for any split still
    empty, so every split gets at least one. `placed`: groups this genre shares with a genre
    assigned before (an album whose tracks carry two genre tags), already in a split, which
    count towards it. Raises LibraryError when the genre has fewer groups than splits, or when
    its shared groups leave a split it cannot fill.
    """
    if len(group_clips) < len(ratios):
        raise LibraryError(
            f"genre '{genre}' has {len(group_clips)} group(s) (albums, else artists, else tracks) with at least one "
            f"clip; the group-disjoint {'/'.join(ratios)} split needs at least {len(ratios)}: add albums or remove "
            f"the genre (tracks that could not be decoded are listed in data/concat/skipped.csv; a group shorter "
            f"than a clip has none)"
        )
    placed = {group: split for group, split in (placed or {}).items() if group in group_clips}
    groups = [group for group in group_clips if group not in placed]
    rng.shuffle(groups)
    groups.sort(key=lambda group: -group_clips[group])  # stable: ties keep the shuffled order
    total = sum(group_clips.values())
    filled = dict.fromkeys(ratios, 0)
    for group, split in placed.items():
        filled[split] += group_clips[group]
    assignment: dict[str, str] = dict(placed)
    for position, group in enumerate(groups):
        empty = [name for name in ratios if name not in assignment.values()]
        candidates = empty if len(groups) - position <= len(empty) else list(ratios)
        split = max(candidates, key=lambda name: ratios[name] * total - filled[name])
        assignment[group] = split
        filled[split] += group_clips[group]
    if empty := [name for name in ratios if name not in assignment.values()]:
        shared = ", ".join(f"'{group}' ({split})" for group, split in sorted(placed.items()))
        raise LibraryError(
            f"genre '{genre}' has no group left for {'/'.join(empty)}: of its {len(group_clips)} groups, {len(placed)} "
            f"are shared with other genres (tracks of one album or artist under two genre tags) and already in a "
            f"set: {shared}; add albums to the genre, or give each album's tracks one genre")
    return assignment


def leak_report(clips: pd.DataFrame, units: pd.Series) -> dict:
    """Groups and tracks per split and their pairwise overlaps (all empty when the split is sound), and
    per genre how its groups were formed, with a warning where some could only be single tracks.

    clips: clip_id, genre, group, grouped_by, track, split; units: each clip's split unit (split_units), what
    may be in one split only.
    """
    groups = {s: set(zip(g["genre"], g["group"])) for s, g in clips.groupby("split")}
    unit_sets = {s: set(g) for s, g in units.groupby(clips["split"])}
    tracks = {s: set(g["track"]) for s, g in clips.groupby("split")}
    overlaps = {}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1:]:
            overlaps[f"{a}&{b}"] = {
                "groups": sorted(unit_sets.get(a, set()) & unit_sets.get(b, set())),
                "tracks": sorted(tracks.get(a, set()) & tracks.get(b, set())),
            }
    grouping, warnings = {}, []
    for genre, rows in clips.drop_duplicates(["genre", "group"]).groupby("genre"):
        grouping[genre] = {by: int(n) for by, n in rows["grouped_by"].value_counts().sort_index().items()}
        if grouping[genre].get("track"):
            warnings.append(f"genre '{genre}': {grouping[genre]['track']} group(s) are single tracks with no album or "
                            f"artist tag; tracks of one album may straddle sets")
    return {
        "disjoint": all(not v["groups"] and not v["tracks"] for v in overlaps.values()),
        "overlaps": overlaps,
        "grouped_by": grouping,
        "warnings": warnings,
        "groups": {s: sorted(f"{g}/{n}" for g, n in groups.get(s, set())) for s in SPLITS},
        "clips": {s: int((clips["split"] == s).sum()) for s in SPLITS},
    }


def split_clips(clips: pd.DataFrame, *, ratios: dict[str, float], seed: int) -> pd.DataFrame:
    """clips (clip_id, genre, group, grouped_by, track, ...) with split, label (genre number) and order (shuffled
    position); each split unit (split_units) in one split."""
    rng = np.random.default_rng(seed)
    clips = clips.copy()
    labels = sorted(clips["genre"].unique())
    clips["label"] = clips["genre"].map({g: i for i, g in enumerate(labels)})
    units = split_units(clips)
    assignment: dict[str, str] = {}
    for genre, rows in units.groupby(clips["genre"]):
        counts = rows.groupby(rows).size().to_dict()
        assignment |= assign_groups(counts, ratios, rng=rng, genre=genre, placed=assignment)
    clips["split"] = units.map(assignment)
    clips["order"] = 0
    for split in SPLITS:
        rows = clips.index[clips["split"] == split]
        clips.loc[rows, "order"] = rng.permutation(len(rows))
    return clips[SPLIT_COLUMNS]


def split_dataset(clip_dir: Path, out_dir: Path, *, ratios: dict[str, float], seed: int) -> dict:
    """Run the split stage: clips.csv (with split, label, order) and leak_report.json."""
    out_dir = fresh_dir(out_dir)
    clips = split_clips(read_csv(clip_dir / "clips.csv", dtype={"group": str, "track": str}), ratios=ratios, seed=seed)
    report = leak_report(clips, split_units(clips))
    if not report["disjoint"]:  # cannot happen by construction; a guard against future edits
        raise LibraryError(f"group-disjoint split failed: {report['overlaps']}")
    write_csv(clips, out_dir / "clips.csv")
    write_json(report, out_dir / "leak_report.json")
    return report
