"""Copies of one file in a library: an album copied into a second genre's folder, or kept twice in one.

A copy would be learned twice: under two genres it teaches the model that one recording is both, and
in either case the split may put one copy in training and the other in test, where the model is
tested on what it was trained on. Only files with the same bytes are copies (found by size, then
content digest: a library's files rarely share a size, so little is read); the same recording
re-encoded or re-tagged is a different file and is not found here.
"""

from __future__ import annotations

import contextlib
import hashlib
import posixpath
from collections import defaultdict

from spectrogenre.library.sources import Catalog, Track


def leave_out_copies(catalog: Catalog) -> None:
    """Keep one track of each set of copies in `catalog`, in its order: copies within one genre are learned
    once, from the first; a file whose copies are filed under several genres is learned as none of them.
    Every copy not kept goes to `left_out`, saying why."""
    kept, dropped = [], {}
    for copies in _copies(catalog.tracks):
        genres = sorted({track.genre for track in copies})
        if len(genres) > 1:
            why = (f"the same file is filed under the genres {' and '.join(genres)}: one recording cannot teach "
                   f"two genres, so no copy is learned (keep it under the genre it belongs to)")
            dropped.update({id(track): why for track in copies})
        else:
            kept_in = posixpath.dirname(copies[0].name) or "the library's top folder"
            why = f"a copy of a file in {kept_in} (the same bytes): learned once, from there"
            dropped.update({id(track): why for track in copies[1:]})
    for track in catalog.tracks:
        if id(track) in dropped:
            catalog.left_out.append((track.name, dropped[id(track)]))
        else:
            kept.append(track)
    catalog.tracks = kept


def _copies(tracks: list[Track]) -> list[list[Track]]:
    """Sets of tracks whose files hold the same bytes, each in `tracks`' order."""
    by_size: dict[int, list[Track]] = defaultdict(list)
    for track in tracks:
        by_size[track.bytes].append(track)
    found = []
    for same_size in by_size.values():
        if len(same_size) < 2:
            continue
        by_digest: dict[bytes, list[Track]] = defaultdict(list)
        for track in same_size:
            with contextlib.suppress(OSError):  # gone or locked since it was listed: concat will report it
                by_digest[_digest(track)].append(track)
        found += [copies for copies in by_digest.values() if len(copies) > 1]
    return found


def _digest(track: Track) -> bytes:
    with open(track.path, "rb") as file:
        return hashlib.file_digest(file, "sha256").digest()
