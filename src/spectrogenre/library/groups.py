"""Independent groups for cross-validation: the split's groups, joined where they share an artist.

Used by the crossval stage and by the pre-flight check that counts them per genre.
"""

from __future__ import annotations

import pandas as pd

from spectrogenre.errors import LibraryError

UNTAGGED = ""


def clip_groups(clips: pd.DataFrame, *, group: str) -> tuple[pd.Series, str]:
    """A fold-group number per clip (clips: genre, group, artist, track) and the grouping used ("album" or "artist").

    The split's groups (albums, else artists, else tracks) are always whole; by artist,
    groups that share an artist join one (connected components), so no artist is in two.
    "auto" groups by artist when every clip's track has an artist tag, else by album.
    """
    tagged = bool((clips["artist"].fillna(UNTAGGED) != UNTAGGED).all())
    if group == "artist" and not tagged:
        untagged = clips.loc[clips["artist"].fillna(UNTAGGED) == UNTAGGED, "track"].iloc[0]
        raise LibraryError(f"crossval.group artist needs an artist tag on every track; {untagged} has none "
                           f"(use crossval.group album or auto)")
    by = "artist" if group == "artist" or (group == "auto" and tagged) else "album"
    units = list(dict.fromkeys(zip(clips["genre"], clips["group"])))
    parent = {unit: unit for unit in units}

    def root(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    if by == "artist":
        first_unit: dict[str, tuple] = {}
        for unit, artist in zip(zip(clips["genre"], clips["group"]), clips["artist"]):
            parent[root(unit)] = root(first_unit.setdefault(artist, unit))
    numbers = {unit: n for n, unit in enumerate(dict.fromkeys(root(u) for u in units))}
    return pd.Series([numbers[root(a)] for a in zip(clips["genre"], clips["group"])], index=clips.index), by
