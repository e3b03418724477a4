"""Names written alike name one group (album, artist or track): in another case, with accents encoded otherwise
(typed on Linux and on macOS: é as one character or as e and an accent) or with other runs of spaces, a folder or a
tag names the same album. The split keeps such a group whole, and the scan counts it once."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable


def group_key(name: str) -> str:
    """What names of one group share (see the module doc)."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def one_spelling(names: Iterable[str]) -> dict[str, str]:
    """Each name -> the name its group goes by: of names written alike (group_key), the first in sorted order."""
    spelling: dict[str, str] = {}
    found = sorted(set(names))
    for name in found:
        spelling.setdefault(group_key(name), name)
    return {name: spelling[group_key(name)] for name in found}
