"""Playlists as the lists of files they name: `predict` and `tag` classify a playlist's tracks.

M3U (.m3u, .m3u8: a path per line), PLS (.pls: `FileN=` keys, Winamp's and many radios'), XSPF (.xspf:
XML, each track's `<location>` a URI) and WPL (.wpl: Windows Media Player's XML, each `<media src=...>`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.parsers import expat

from spectrogenre.errors import SpectrogenreError
from spectrogenre.library.sources import elsewhere, listed_file

PLAYLIST_SUFFIXES = (".m3u", ".m3u8", ".pls", ".xspf", ".wpl")


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
    """Each track `playlist` names, in its order, with the line it is written on: a path relative to the
    playlist's folder or absolute, or a local file:// URI, read as a manifest's paths are (sources.listed_file).

    M3U: every line but blank ones and comments (#EXTM3U, #EXTINF); an .m3u8 is UTF-8, an .m3u too where it
    decodes as UTF-8, else Latin-1 (Winamp's), and so is a .pls; either is UTF-16 where it starts with its byte
    order mark. PLS: each FileN, in the order of N. XSPF: the
    first <location> of each <track> (a relative location is a URI: %20 is a space). WPL: each <media>'s src.
    """
    try:
        data = playlist.read_bytes()
    except OSError as err:
        raise SpectrogenreError(f"{playlist}: cannot be read ({err.strerror})") from None
    read = READERS.get(playlist.suffix.lower(), _m3u)
    return [_entry(line, written, playlist.parent) for line, written in read(playlist, data)]


def _text(playlist: Path, data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # a byte order mark: UTF-16, as some Windows tools save text
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise SpectrogenreError(f"{playlist}: starts as UTF-16 text (its byte order mark) and is not: "
                                    f"{err.reason} at byte {err.start}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        if playlist.suffix.lower() == ".m3u8":
            raise SpectrogenreError(f"{playlist}: not UTF-8 text, as an .m3u8 playlist is") from None
        return data.decode("latin-1")


def _m3u(playlist: Path, data: bytes) -> list[tuple[int, str]]:
    lines = enumerate(_text(playlist, data).splitlines(), start=1)
    return [(number, entry) for number, line in lines if (entry := line.strip()) and not entry.startswith("#")]


_PLS_FILE = re.compile(r"\s*file(\d+)\s*=\s*(.*?)\s*$", re.IGNORECASE)


def _pls(playlist: Path, data: bytes) -> list[tuple[int, str]]:
    files = []
    for number, line in enumerate(_text(playlist, data).splitlines(), start=1):
        if (match := _PLS_FILE.match(line)) and match[2]:
            files.append((int(match[1]), number, match[2]))
    return [(line, written) for _, line, written in sorted(files)]


TEXT = object()  # what an _xml_entries `wanted` returns to take the element's text (any string may be a path)


def _xml_entries(playlist: Path, data: bytes, *, kind: str, wanted: Callable) -> list[tuple[int, str, int]]:
    """(line, text, parent) of what `wanted(name, attributes, parent's name)` takes from each element's start: a
    string, TEXT for the element's text, or None; `parent` numbers the parent element. Parsed by expat: no
    entity or DTD is fetched, and entity expansion is bounded, so a hostile file costs no more than its size."""
    parser, found, open_elements = expat.ParserCreate(), [], [("", 0)]
    reading: list = []  # [line, the text's pieces so far, parent] of the element whose text is wanted
    started = 0

    def start(name, attributes):
        nonlocal started
        started += 1
        name = name.rpartition(":")[2].lower()  # a namespace's prefix, if one is written, is no part of the name
        parent_name, parent = open_elements[-1]
        taken = wanted(name, attributes, parent_name)
        if taken is TEXT:
            reading[:] = [parser.CurrentLineNumber, [], parent]
        elif taken is not None:
            found.append((parser.CurrentLineNumber, taken.strip(), parent))
        open_elements.append((name, started))

    def text(chunk):
        if reading:  # a list, joined at the end: text added to a string is copied whole each time
            reading[1].append(chunk)

    def end(_name):
        open_elements.pop()
        if reading:
            found.append((reading[0], "".join(reading[1]).strip(), reading[2]))
            reading.clear()

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as err:
        raise SpectrogenreError(f"{playlist}: not a readable {kind} playlist (XML: {err})") from None
    return [entry for entry in found if entry[1]]


def _xspf(playlist: Path, data: bytes) -> list[tuple[int, str]]:
    location = lambda name, _attributes, parent: TEXT if name == "location" and parent == "track" else None
    entries, tracks = [], set()
    for line, written, track in _xml_entries(playlist, data, kind="XSPF", wanted=location):
        if track not in tracks:  # a track's other locations are other copies of it
            tracks.add(track)
            # a relative location is a URI reference, percent-encoded; an absolute one (file:, http:) a URI
            entries.append((line, written if urlsplit(written).scheme else unquote(written)))
    return entries


def _wpl(playlist: Path, data: bytes) -> list[tuple[int, str]]:
    media = lambda name, attributes, _parent: attributes.get("src") if name == "media" else None
    return [(line, written) for line, written, _ in _xml_entries(playlist, data, kind="WPL", wanted=media)]


READERS: dict[str, Callable[[Path, bytes], list[tuple[int, str]]]] = {
    ".m3u": _m3u, ".m3u8": _m3u, ".pls": _pls, ".xspf": _xspf, ".wpl": _wpl}


def _entry(line: int, written: str, folder: Path) -> Entry:
    if (why := elsewhere(written)) is not None:
        return Entry(line, written, None, why)
    return Entry(line, written, listed_file(written, folder)[0])
