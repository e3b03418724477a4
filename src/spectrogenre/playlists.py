"""M3U playlists (.m3u, .m3u8) as the lists of files they name: `predict` and `tag` classify a playlist's tracks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from spectrogenre.errors import SpectrogenreError
from spectrogenre.library.sources import elsewhere, listed_file

PLAYLIST_SUFFIXES = (".m3u", ".m3u8")


def is_playlist(path: Path) -> bool:
    try:
        return path.suffix.lower() in PLAYLIST_SUFFIXES and path.is_file()
    except OSError:
        return False


@dataclass(frozen=True)
class Entry:
    """A track a playlist names: `line` its line number, `written` the line, `path` the file it names, or None
    where it names none on this machine (`why`)."""

    line: int
    written: str
    path: Path | None
    why: str = ""


def playlist_entries(playlist: Path) -> list[Entry]:
    """Each track `playlist` names, in its order: every line but blank ones and comments (#EXTM3U, #EXTINF), a
    path relative to the playlist's folder or absolute, or a local file:// URI, read as a manifest's paths are
    (sources.listed_file). An .m3u8 is UTF-8; an .m3u too where it decodes as UTF-8, else Latin-1 (Winamp's)."""
    try:
        data = playlist.read_bytes()
    except OSError as err:
        raise SpectrogenreError(f"{playlist}: cannot be read ({err.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if playlist.suffix.lower() == ".m3u8":
            raise SpectrogenreError(f"{playlist}: not UTF-8 text, as an .m3u8 playlist is") from None
        text = data.decode("latin-1")
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if (entry := line.strip()) and not entry.startswith("#"):
            entries.append(_entry(number, entry, playlist.parent))
    return entries


def _entry(line: int, written: str, folder: Path) -> Entry:
    if (why := elsewhere(written)) is not None:
        return Entry(line, written, None, why)
    return Entry(line, written, listed_file(written, folder)[0])
