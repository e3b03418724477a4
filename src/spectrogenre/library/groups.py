"""The split's units (each kept whole in one set), independent groups for cross-validation (units joined
where they share an artist), and their assignment to folds.

Used by the split, train and crossval stages, by the heads' choice of regularisation, and by the
pre-flight check that counts the groups per genre.

A unit is a genre's group (album, else artist, else track), names written alike one (group_names). Units
of two genres are one where one album's tracks carry different genre tags: the same group name for tracks
in the same folder (an album is kept in one folder, its discs' folders in it) under two genres; its tracks in two sets would test the
model on an album it trained on. Same-titled albums in other folders stay apart (Rock's "Greatest Hits"
is not Pop's), as do a genre folder's own albums in the folders layout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spectrogenre.errors import LibraryError
from spectrogenre.library.group_names import album_folder, group_key, one_spelling

UNTAGGED = ""


def _root(parent: dict, node):
    """The node that names `node`'s connected component in `parent` (each node's parent; a root is its own),
    the path to it shortened on the way."""
    while parent[node] != node:
        parent[node] = parent[parent[node]]
        node = parent[node]
    return node


def split_units(clips: pd.DataFrame) -> pd.Series:
    """Each row's split unit (clips: genre, group, track: the path; see the module doc), named by the first of its
    genre/group names in sorted order."""
    names = clips["genre"].astype(str) + "/" + clips["group"].astype(str)
    spelled = names.map(one_spelling(names))
    parent = {name: name for name in spelled}
    in_folder: dict[tuple[str, str], str] = {}
    for name, group, track in zip(spelled, clips["group"].astype(str), clips["track"].astype(str)):
        key = (group_key(group), album_folder(track))
        first, this = _root(parent, in_folder.setdefault(key, name)), _root(parent, name)
        parent[max(first, this)] = min(first, this)
    return spelled.map(lambda name: _root(parent, name))


def clip_groups(clips: pd.DataFrame, *, group: str) -> tuple[pd.Series, str]:
    """A fold-group number per clip (clips: genre, group, artist, track) and the grouping used ("album" or "artist").

    The split's units (split_units: albums, else artists, else tracks) are always whole; by artist,
    units that share an artist join one (connected components), so no artist is in two.
    "auto" groups by artist when every clip's track has an artist tag, else by album.
    """
    tagged = bool((clips["artist"].fillna(UNTAGGED) != UNTAGGED).all())
    if group == "artist" and not tagged:
        untagged = clips.loc[clips["artist"].fillna(UNTAGGED) == UNTAGGED, "track"].iloc[0]
        raise LibraryError(f"crossval.group artist needs an artist tag on every track; {untagged} has none "
                           f"(use crossval.group album or auto)")
    by = "artist" if group == "artist" or (group == "auto" and tagged) else "album"
    unit_of = split_units(clips)
    units = list(dict.fromkeys(unit_of))
    parent = {unit: unit for unit in units}
    if by == "artist":
        first_unit: dict[str, str] = {}
        for unit, artist in zip(unit_of, clips["artist"]):
            parent[_root(parent, unit)] = _root(parent, first_unit.setdefault(artist, unit))
    numbers = {unit: n for n, unit in enumerate(dict.fromkeys(_root(parent, u) for u in units))}
    return pd.Series([numbers[_root(parent, unit)] for unit in unit_of], index=clips.index), by


def assign_folds(clips: pd.DataFrame, groups: pd.Series, *, folds: int, seed: int) -> pd.Series:
    """A fold number per clip; whole groups, spread so each fold gets each genre's groups in turn.

    Groups go largest first (ties in a seeded order) to the fold holding the fewest groups of
    the group's main genre, then the fewest of its clips. Raises LibraryError when a genre has
    fewer groups than folds (some fold could not train or test it).
    """
    frame = clips.assign(group=groups)
    main_genre = frame.groupby("group")["genre"].agg(lambda g: g.value_counts().index[0])
    per_genre = main_genre.value_counts()
    if (short := per_genre[per_genre < folds]).size:
        genre = short.index[0]
        raise LibraryError(f"genre '{genre}' has {short.iloc[0]} independent group(s) (albums, artists or tracks); "
                           f"{folds}-fold cross-validation needs at least {folds}: lower crossval.folds")
    sizes = frame.groupby("group").size()
    order = np.random.default_rng(seed).permutation(sizes.index.to_numpy())
    order = sorted(order, key=lambda g: -sizes[g])  # stable: ties keep the seeded order
    group_count = {genre: np.zeros(folds, int) for genre in per_genre.index}
    clip_count = {genre: np.zeros(folds, int) for genre in per_genre.index}
    fold_of = {}
    for g in order:
        genre = main_genre[g]
        fold = min(range(folds), key=lambda f: (group_count[genre][f], clip_count[genre][f]))
        fold_of[g] = fold
        group_count[genre][fold] += 1
        clip_count[genre][fold] += sizes[g]
    return groups.map(fold_of)
