"""Names written alike name one group (album, artist or track): in another case, with accents encoded otherwise
(typed on Linux and on macOS: é as one character or as e and an accent) or with other runs of spaces, a folder or a
tag names the same album. The split keeps such a group whole, and the scan counts it once."""

from __future__ import annotations

import re
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


# A disc's mark on its album's name: "Abbey Road CD2", "Hits (Disc 1 of 2)", "Hits [Disk 2]", "Hits - CD 1",
# "CD1-JS Bach-Six Sonatas", and where rippers put more after it: "The Wall (Disc 2) [2011 Remaster]", "The Wall
# CD2 (FLAC)", "Mellon Collie Disc 1 - Dawn to Dusk" (a disc's own title goes with its mark, in brackets too:
# "Hits (Disc 1 - Live)", "Hits [Disc 2: Bonus]"), "Hits - Disc One".
# The discs of one album are one album, so never in two sets.
_DISC = r"(?:cd|disc|disk)(?:\s*\d+|\s+(?:one|two|three|four|five|six|seven|eight|nine|ten))\b(?:\s*(?:of|/)\s*\d+)?"
_DISC_BRACKETED = re.compile(rf"\s*[(\[]\s*{_DISC}\s*(?:[-:\u2013]\s*[^)\]]*)?[)\]]", re.IGNORECASE)
_DISC_AFTER = re.compile(rf"(?:^|[\s,_-]+){_DISC}\s*(?:[-:\u2013]\s.*|(?:[(\[][^)\]]*[)\]]\s*)*)$", re.IGNORECASE)
_DISC_ALONE = re.compile(rf"\s*[(\[]?\s*{_DISC}\s*[)\]]?\s*", re.IGNORECASE)
_DISC_BEFORE = re.compile(r"^\s*[(\[]?(?:cd|disc|disk)\s*\d+[)\]]?\s*[-_.:]\s*", re.IGNORECASE)


def is_disc_folder(name: str) -> bool:
    """Whether `name` is a disc's mark alone ("CD1", "Disc 2", "(CD 1 of 2)"): a folder inside an album."""
    return _DISC_ALONE.fullmatch(name) is not None


def whole_album(album: str) -> str:
    """`album` without a disc's mark (see above), or as it is if that would leave nothing."""
    return _DISC_BEFORE.sub("", _DISC_AFTER.sub("", _DISC_BRACKETED.sub("", album))).strip() or album


def album_folder(track: str) -> str:
    """The folder that holds the album of `track` (a path with `/`): its own folder, or the one above where that is a
    disc's folder ("Album/CD2/01.mp3" -> "Album"), as an album's discs are one album."""
    folder = track.rsplit("/", 1)[0] if "/" in track else ""
    above, _, name = folder.rpartition("/")
    return above if is_disc_folder(name) else folder
