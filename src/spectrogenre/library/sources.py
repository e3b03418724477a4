"""The four ways a library says what genre each track is: folders, flat folders, tags, a manifest.

Each source lists the library's tracks as a Catalog: every usable track with its genre
and the group the split keeps together (album where known, else artist, else the track
alone), every audio file left out with the reason, and every other file ignored.
Nothing is decoded here: headers and tags only, so a library of thousands of tracks
is listed in seconds.

A track's genre is decided here, once, for every stage after (scan's tracks.csv): through
the genre map where one is given; without one, names that differ only in case, spaces,
punctuation or accents' encoding (one genre_key: "Hip-Hop" and "hip hop", "Électronique"
typed on Linux and on macOS) are one genre, learned under the spelling with the most tracks.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path, PureWindowsPath
from urllib.parse import urlsplit
from urllib.request import url2pathname

from spectrogenre.audio_io import (
    HEADER_CHECKED,
    is_audio_file,
    is_music_file,
    missing_decoder,
    undecodable,
    unread_format,
    unreadable,
)
from spectrogenre.errors import LibraryError
from spectrogenre.library.group_names import album_folder, group_key, whole_album
from spectrogenre.library.tags import (
    TagError,
    TrackTags,
    genre_key,
    joined_parts,
    read_tags,
    separate_values,
)
from spectrogenre.params import LAYOUTS
from spectrogenre.walk import CANNOT_BE_READ, is_system_entry, walk

MANIFEST_COLUMNS = ("path", "genre", "album", "artist")
# Why audio is left out where it stands too high in the tree for the layout (checks.py tells a library given one
# folder too deep by them: every file left out so).
OUTSIDE_A_GENRE_FOLDER = "audio file outside a genre folder"
OUTSIDE_AN_ALBUM_FOLDER = ("audio file in a genre folder, outside an album folder: move it into one (a folder of "
                           "singles is one group), or use layout flat (groups by album tags)")
# The split's unit, from the best information a track has (leak report: which one each genre used).
GROUPINGS = ("album", "artist", "track")


@dataclass(frozen=True)
class Track:
    """One usable track. `name` is its path relative to the library (the manifest's folder for a manifest)."""

    path: Path
    name: str
    genre: str
    album: str = ""
    artist: str = ""
    seconds: float | None = None
    bytes: int = 0
    # The album's own artist where a tag names it (never from a folder): what tells apart the "Greatest Hits"
    # of two artists, which the album's title alone would join into one group.
    album_artist: str = ""
    # Where the genre is learned under another spelling of the name the library gives it (no genre map: "hip hop"
    # learned as "Hip-Hop"), that name; "" where the library writes it as `genre`, or a genre map placed it.
    genre_written: str = ""

    @property
    def grouped_by(self) -> str:
        return "album" if self.album else "artist" if self.artist else "track"

    @property
    def group(self) -> str:
        """The split's unit: the album's name, its discs one album, with its album artist where a tag names one
        ("Greatest Hits [Queen]"); '[artist] X' or '[track] name' where the album is unknown.

        Without an album artist, same-titled albums stay one group: a compilation's tracks name different
        artists, and splitting it by them could put one album in two sets."""
        if album := whole_album(self.album):
            return f"{album} [{self.album_artist}]" if self.album_artist else album
        return f"[artist] {self.artist}" if self.artist else f"[track] {self.name}"


@dataclass
class Catalog:
    """A library's tracks in pipeline order (genre, group, name), and what was left out or ignored, with reasons."""

    root: Path
    layout: str
    tracks: list[Track] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # audio (or manifest rows) not used, and why
    ignored: list[tuple[str, str]] = field(default_factory=list)  # files that are not audio, system folders
    unmapped: Counter = field(default_factory=Counter)  # genre values the genre map does not place: tracks each
    # of those, the tracks each is on that another value placed ("Classical; Baroque" with classical mapped)
    unmapped_beside_placed: Counter = field(default_factory=Counter)
    # With no map, the values of each track left out for naming several genres (one spelling each), counted: the
    # map scan suggests places them too, not only the tracks of one genre.
    several: Counter = field(default_factory=Counter)
    notes: list[tuple[str, str]] = field(default_factory=list)  # used, with a caveat (tags unreadable)
    map_conflicts: list[str] = field(default_factory=list)
    genre_folders: list[tuple[str, frozenset[str]]] = field(default_factory=list)  # (folder, the genres it names)
    # (genre folder, why) for each the walk passed over: a second link to one folder, one it may not read
    genre_folders_passed_over: list[tuple[str, str]] = field(default_factory=list)

    def empty_genre_folders(self) -> list[tuple[str, int]]:
        """(folder, its audio files left out) for each genre folder none of whose tracks is used."""
        used = {track.genre for track in self.tracks}
        return [(folder, sum(where.startswith(f"{folder}/") for where, _ in self.left_out))
                for folder, named in self.genre_folders if not named & used]

    def genres(self) -> dict[str, list[Track]]:
        found: dict[str, list[Track]] = {}
        for track in self.tracks:
            found.setdefault(track.genre, []).append(track)
        return found


class GenreMap:
    """Which genre values (folder names, tag values, manifest cells) count as each genre the model learns.

    Values match ignoring case, spaces and punctuation; a genre's own name always counts
    as itself. An empty map takes every value as its own genre, values written alike as one
    (load_catalog then learns each under one spelling).
    """

    def __init__(self, targets: dict[str, list[str]] | None = None):
        self.targets = {str(genre): [str(v) for v in (values or [])] for genre, values in (targets or {}).items()}
        self._by_key: dict[str, set[str]] = {}
        for genre, values in self.targets.items():
            for value in [genre, *values]:
                self._by_key.setdefault(genre_key(value), set()).add(genre)
        self.conflicts = [f"genre map: '{value}' is listed under {' and '.join(sorted(self._by_key[genre_key(value)]))}"
                          for value in dict.fromkeys(v for vs in self.targets.values() for v in vs)
                          if len(self._by_key[genre_key(value)]) > 1]

    def __bool__(self) -> bool:
        return bool(self.targets)

    def genres_of(self, values: tuple[str, ...]) -> set[str]:
        """The target genres the values name (an empty map: the values themselves, as written, the first of those
        written alike, so that a tag "Rock; rock" names one genre). A value the map does not hold names the genres
        its parts do (see _parts)."""
        if not self.targets:
            return set(_one_spelling_each(values))
        return {genre for value in values for part in self._placed(value) for genre in self._by_key[genre_key(part)]}

    def unmapped(self, values: tuple[str, ...]) -> list[str]:
        """The values, or the parts of a value, the map does not place (a value none of whose parts it places is
        said whole, as written: "Jazz/Funk")."""
        if not self.targets:
            return []
        found = []
        for value in values:
            if genre_key(value) not in self._by_key:
                placed = self._placed(value)
                found += [p for p in joined_parts(value) if p not in placed] if placed else [value]
        return found

    def _placed(self, value: str) -> list[str]:
        """`value` if the map holds it, else those of its parts it holds."""
        if genre_key(value) in self._by_key:
            return [value]
        return [part for part in joined_parts(value) if genre_key(part) in self._by_key]


def load_catalog(library: Path, *, layout: str, genre_map: GenreMap | None = None) -> Catalog:
    """List `library` (a folder, or the manifest file for layout 'manifest') as a Catalog.

    Raises LibraryError for a library that cannot be listed at all (missing, wrong kind,
    manifest without its columns); every problem with single files is in the catalog.
    """
    library = Path(library)
    genre_map = genre_map or GenreMap()
    if layout not in LAYOUTS:
        raise LibraryError(f"unknown library layout {layout!r}: one of {', '.join(LAYOUTS)}")
    if not library.exists():  # said apart from the wrong kind: the fix for each differs
        raise LibraryError(f"{'manifest' if layout == 'manifest' else 'library path'} {library} does not exist"
                           f"{'' if library.is_absolute() else f' in {Path.cwd()}'}")
    if layout == "manifest":
        if not library.is_file():
            raise LibraryError(f"manifest {library} is not a file (layout manifest: `library` names the CSV or TSV "
                               f"file)")
        catalog = _from_manifest(library, genre_map)
    else:
        if not library.is_dir():
            raise LibraryError(f"library path {library} is not a folder (a file: a manifest, a CSV or TSV list of "
                               f"tracks? set the layout to manifest)")
        catalog = (_from_tags(library, genre_map) if layout == "tags"
                   else _from_genre_folders(library, genre_map, layout=layout))
    catalog.map_conflicts = genre_map.conflicts
    if not genre_map:
        _learn_alike_names_as_one(catalog)
    catalog.tracks = _album_artists_made_one(catalog.tracks)
    catalog.tracks.sort(key=lambda t: (t.genre, t.group, t.name))
    return catalog


def _album_artists_made_one(tracks: list[Track]) -> list[Track]:
    """`tracks`, where the album artist tags of one album (one title in one folder: album_folder) disagree as taggers
    leave them, made one: the tag on some tracks only, or one name the start of another ("Various" and "Various
    Artists", "X" and "X feat. Y"). Each then takes the name most of them carry (of equal counts, the first in sorted
    order), so the album is one group, never in two sets. Names that disagree otherwise (two artists' "Greatest Hits"
    in one folder of a flat library) stay two albums."""
    albums: dict[tuple[str, str], list[int]] = {}
    for number, track in enumerate(tracks):
        if track.album:
            albums.setdefault((album_folder(track.name), group_key(whole_album(track.album))), []).append(number)
    tracks = list(tracks)
    for numbers in albums.values():
        named = Counter(tracks[n].album_artist for n in numbers if tracks[n].album_artist)
        if not named or (len(named) == 1 and all(tracks[n].album_artist for n in numbers)):
            continue
        words = sorted((group_key(name).split() for name in named), key=len)
        if any(other[:len(words[0])] != words[0] for other in words[1:]):
            continue
        chosen = min(named, key=lambda name: (-named[name], name))
        for n in numbers:
            tracks[n] = replace(tracks[n], album_artist=chosen)
    return tracks


def _alike(name: str) -> str:
    """What makes genre names one genre without a map: their genre_key; a name with no letter or digit ("♪"),
    whose key is empty, is only itself."""
    return genre_key(name) or name


def _one_spelling_each(names) -> list[str]:
    """`names` without those written alike (see _alike) as one before them."""
    first: dict[str, str] = {}
    for name in names:
        first.setdefault(_alike(name), name)
    return list(first.values())


def _learn_alike_names_as_one(catalog: Catalog) -> None:
    """With no genre map, genre names written alike are one genre, learned as the spelling with the most tracks (of
    equal counts, the first in sorted order). Every track and genre folder of the catalog takes that name, so the
    stages after see one genre; a track whose name it changes keeps its own in `genre_written`, for scan's note."""
    learned: dict[str, str] = {}
    for name, _ in sorted(Counter(t.genre for t in catalog.tracks).items(), key=lambda item: (-item[1], item[0])):
        learned.setdefault(_alike(name), name)

    def as_learned(name: str) -> str:
        return learned.get(_alike(name), name)

    catalog.tracks = [track if as_learned(track.genre) == track.genre
                      else replace(track, genre=as_learned(track.genre), genre_written=track.genre)
                      for track in catalog.tracks]
    catalog.genre_folders = [(folder, frozenset(map(as_learned, named))) for folder, named in catalog.genre_folders]


def _library_files(root: Path, catalog: Catalog) -> list[Path]:
    """Files under `root` (walk.py: links followed). Folders and system files passed over go in `ignored`, but the
    audio files in a hidden or system folder, a folder that cannot be read, a file reached again through a link and
    audio whose name is not UTF-8 text go in `left_out`; each with why."""
    found = walk(root)
    for path, why in found.passed_over:
        # the music in a hidden or system folder is left out, file by file, where a scan says so by default: an
        # album the user hid, a Trash of songs
        if held := (_music_files_in(path) if is_system_entry(path.name) else []):
            catalog.left_out += [(_shown(file, root), f"in {_shown(path, root)}, {why}") for file in held]
        elif why.startswith(CANNOT_BE_READ):  # it may hold music: said by default
            catalog.left_out.append((_shown(path, root), f"a folder that {why}"))
        else:
            catalog.ignored.append((_shown(path, root), why))
    catalog.ignored += [(_shown(path, root), "a hidden or system file (a macOS ._ copy, .DS_Store)")
                        for path in found.system_files]
    catalog.left_out += [(_shown(path, root), why) for path, why in found.repeated]
    usable = []
    for path in found.files:
        try:
            str(path).encode("utf-8")
            usable.append(path)
        except UnicodeEncodeError:  # an old archive's Latin-1 name: the pipeline's tables hold text
            if is_music_file(path):
                catalog.left_out.append((_shown(path, root), "its name is not UTF-8 text: rename it to use it"))
            else:
                catalog.ignored.append((_shown(path, root), "not an audio file"))
    return usable


def _music_files_in(folder: Path) -> list[Path]:
    """The files named as music anywhere under `folder`, sorted (links not followed; none if it cannot be read)."""
    return sorted(Path(here, name) for here, _, names in os.walk(folder) for name in names
                  if is_music_file(Path(name)))


def _shown(path: Path, root: Path) -> str:
    """`path` relative to `root`, any bytes of its name that are not UTF-8 as \\x escapes (a CSV holds text)."""
    return os.fsencode(path.relative_to(root).as_posix()).decode("utf-8", "backslashreplace")


def _audio_or_ignored(path: Path, catalog: Catalog, name: str) -> bool:
    """Whether `path` is a usable audio file; if not, it goes in `ignored` or `left_out` with the reason."""
    if (problem := unread_format(path)) is not None:
        catalog.left_out.append((name, problem))
        return False
    if not is_audio_file(path):
        catalog.ignored.append((name, "not an audio file"))
        return False
    if (problem := unreadable(path)) is not None:  # a broken link, a pipe, a file this user may not read
        catalog.left_out.append((name, problem))
        return False
    if (problem := missing_decoder(path)) is not None:
        catalog.left_out.append((name, problem))
        return False
    return True


def _tags_or_none(path: Path, catalog: Catalog, name: str, *, genre_from_tags: bool = False) -> TrackTags | None:
    """The file's tags. Where the tag reader does not know the file as audio, its header is checked, and a file
    that is not audio at all (empty, or not the format its name says) is left out with the reason decoding
    would give: None. Tags that cannot be read: None and the track left out where its genre comes from them,
    else a note, and no tags."""
    try:
        tags, problem = read_tags(path), None
    except TagError as err:
        tags, problem = None, err.problem
    if tags is None or tags.seconds is None or path.suffix.lower() in HEADER_CHECKED:
        if (undecoded := undecodable(path)) is not None:
            catalog.left_out.append((name, undecoded))
            return None
    if tags is not None:
        return tags
    if genre_from_tags:
        catalog.left_out.append((name, problem))
        return None
    catalog.notes.append((name, f"{problem}: used without album and artist"))
    return TrackTags()


def _mapped_genre(values: tuple[str, ...], genre_map: GenreMap, catalog: Catalog, name: str, *,
                  what: str) -> str | None:
    """The one genre `values` map to, or None with the track listed as left out and why."""
    if not values:
        catalog.left_out.append((name, f"no {what}"))
        return None
    genres = genre_map.genres_of(values)
    for value in genre_map.unmapped(values):
        catalog.unmapped[value] += 1
        catalog.unmapped_beside_placed[value] += len(genres) == 1
    if len(genres) == 1:
        return genres.pop()
    quoted = ", ".join(f"'{v}'" for v in values)
    if not genres:
        catalog.left_out.append((name, f"{what} {quoted} is not in the genre map (source.genres)"))
    else:
        if not genre_map:
            catalog.several[tuple(_one_spelling_each(values))] += 1
        catalog.left_out.append((name, f"{what} {quoted} matches {len(genres)} genres ({', '.join(sorted(genres))}): "
                                       f"ambiguous, not guessed"))
    return None


def _track(path: Path, name: str, genre: str, tags: TrackTags | None, *, album: str | None = None,
           artist: str = "") -> Track:
    """album: the album as a folder or a manifest names it, else (None) the file's album tag."""
    tags = tags or TrackTags()
    return Track(path=path, name=name, genre=genre, album=(tags.album if album is None else album).strip(),
                 artist=(artist or tags.album_artist or tags.artist).strip(), seconds=tags.seconds,
                 bytes=path.stat().st_size, album_artist=tags.album_artist.strip() if album is None else "")


def _from_genre_folders(root: Path, genre_map: GenreMap, *, layout: str) -> Catalog:
    """The top folder names the genre. folders: <genre>/<album>/<track>, the album is the folder (CD1/ inside
    it belongs to it); flat: <genre>/<track> (sub-folders allowed), groups from the album, else artist tag."""
    catalog = Catalog(root=root, layout=layout)
    depth = 3 if layout == "folders" else 2
    for path in _library_files(root, catalog):
        parts = path.relative_to(root).parts
        name = path.relative_to(root).as_posix()
        if len(parts) < depth:
            if not is_music_file(path):
                catalog.ignored.append((name, "not an audio file"))
            else:
                catalog.left_out.append((name, OUTSIDE_A_GENRE_FOLDER if len(parts) == 1 else OUTSIDE_AN_ALBUM_FOLDER))
            continue
        if not _audio_or_ignored(path, catalog, name):
            continue
        genre = _mapped_genre((_genre_name(parts[0]),), genre_map, catalog, name, what="genre folder")
        if genre is not None:
            album = parts[1] if layout == "folders" else None
            if (tags := _tags_or_none(path, catalog, name)) is not None:
                catalog.tracks.append(_track(path, name, genre, tags, album=album))
    passed_over = dict(catalog.ignored)
    for folder in sorted(root.iterdir()):
        named = (genre_map.genres_of((_genre_name(folder.name),))
                 if folder.is_dir() and not is_system_entry(folder.name) else set())
        if not named:  # a folder outside the genre map is reported as such already
            continue
        if (why := passed_over.get(_shown(folder, root))) is not None:  # its tracks, if any, are listed elsewhere
            catalog.genre_folders_passed_over.append((_shown(folder, root), why))
        else:
            catalog.genre_folders.append((_shown(folder, root), frozenset(named)))
    return catalog


def _genre_name(folder: str) -> str:
    """The genre a folder's name gives: without spaces before or after it, which no one means as part of a genre
    and a label would keep unseen ("Rock " learned as "Rock "), as tags and manifest cells are read."""
    return folder.strip() or folder


def _from_tags(root: Path, genre_map: GenreMap) -> Catalog:
    """Any folder tree: the genre from each file's genre tag through the genre map; album and artist from tags."""
    catalog = Catalog(root=root, layout="tags")
    for path in _library_files(root, catalog):
        name = path.relative_to(root).as_posix()
        if not _audio_or_ignored(path, catalog, name):
            continue
        tags = _tags_or_none(path, catalog, name, genre_from_tags=True)
        if tags is None:
            continue
        genre = _mapped_genre(tags.genres, genre_map, catalog, name, what="genre tag")
        if genre is not None:
            catalog.tracks.append(_track(path, name, genre, tags))
    return catalog


def _from_manifest(manifest: Path, genre_map: GenreMap) -> Catalog:
    """A CSV or TSV with a header: path and genre, optionally album and artist; paths relative to the manifest.

    Where the album or artist cell is empty, the file's own tag fills it.
    """
    root = manifest.parent
    catalog = Catalog(root=root, layout="manifest")
    rows = _manifest_rows(manifest)
    seen: dict[str, tuple[int, str]] = {}  # a file -> the row that first listed it, and its genre cell
    used: set[int] = set()  # the rows whose tracks are in the catalog
    for line, row in rows:
        where = f"{manifest.name} row {line}"
        cell = row.get("path", "").strip()
        if not cell:
            catalog.left_out.append((where, "no path"))
            continue
        try:
            path, name = listed_file(cell, root)
            key = str(path.resolve())
            exists = path.exists()
        except (OSError, ValueError) as err:  # a NUL in the cell, a name longer than the file system takes
            why = f"names no file this machine can have ({getattr(err, 'strerror', None) or err})"
            catalog.left_out.append((f"{where}: {cell}", why))
            continue
        except RuntimeError:  # Python 3.11's resolve() on links that lead to each other
            catalog.left_out.append((f"{where}: {cell}", "a link that leads back to itself (a loop of links)"))
            continue
        genre_cell = row.get("genre", "").strip()
        if key in seen:
            # the first row's number goes with the name, so that the reason, alike for every repeat, is said once
            first, first_genre = seen[key]
            other = (f", with another genre ({genre_cell} here, {first_genre} there)"
                     if genre_cell and first_genre and genre_key(genre_cell) != genre_key(first_genre) else "")
            catalog.left_out.append((f"{where}: {cell} (first at row {first})", f"listed again{other}; the first row "
                                     + ("is used" if first in used else "is left out too, for the reason it gives")))
            continue
        seen[key] = line, genre_cell
        if not exists:
            catalog.left_out.append((f"{where}: {cell}", _no_such_file(cell, root)))
            continue
        if path.is_dir():
            catalog.left_out.append((f"{where}: {cell}", "a folder, not a file: a manifest lists each track's file"))
            continue
        ignored = len(catalog.ignored)
        if not _audio_or_ignored(path, catalog, f"{where}: {cell}"):
            # a row someone wrote is left out with its row, never passed over as a cover in a folder would be
            catalog.left_out += catalog.ignored[ignored:]
            del catalog.ignored[ignored:]
            continue
        genre = _mapped_genre(separate_values(row.get("genre", "")), genre_map, catalog, f"{where}: {cell}",
                              what="genre")
        if genre is None:
            continue
        album, artist = row.get("album", "").strip(), row.get("artist", "").strip()
        if (tags := _tags_or_none(path, catalog, f"{where}: {cell}")) is not None:
            catalog.tracks.append(_track(path, name, genre, tags, album=album or None, artist=artist))
            used.add(line)
    return catalog


def listed_file(written: str, folder: Path) -> tuple[Path, str]:
    """The file a list's entry (a manifest's path, a playlist's line) names, read from the list's `folder`, and
    the track's name. A relative path written with backslashes (a list made on Windows, `Rock\\Album\\01.mp3`)
    is read with them as folders' separators where no file has the name as written: on Linux a backslash may be
    part of a file's name, and that file comes first. A file URI (`file:///music/My%20Song.mp3`, as players write
    playlists) is read as the path it names, and `~/Music/...` as in the home folder (unless a file so named is in
    `folder`)."""
    if (local := local_file_path(written)) is not None:
        return Path(local), local
    if written.startswith("~") and not (folder / written).exists():  # a home folder, as `library: ~/Music` reads
        written = os.path.expanduser(written)
    if Path(written).is_absolute():
        return Path(written), written
    if "\\" in written and not PureWindowsPath(written).anchor and not (folder / written).exists():
        return folder / written.replace("\\", "/"), written.replace("\\", "/")
    return folder / written, written


def local_file_path(written: str) -> str | None:
    """The path a local file URI (`file:///music/My%20Song.mp3`) names; None for anything else."""
    uri = urlsplit(written)
    return url2pathname(uri.path) if uri.scheme == "file" and uri.netloc in ("", "localhost") else None


def elsewhere(written: str) -> str | None:
    """Why a list's entry cannot name a file on this machine (a URI other than a local file's, an absolute
    Windows path); None where it may."""
    local = local_file_path(written)
    if "\0" in (local or written):  # written, or as a URI's %00
        return "holds a NUL character, which no file's name can"
    # a scheme longer than a drive's letter: http://, smb://
    if len(urlsplit(written).scheme) > 1 and "://" in written and local is None:
        return "a URI, not a file's path on this machine (a local file:/// URI is read as its path)"
    # a path, or a file URI of a drive's (file:///C:/Music/a.mp3, as players on Windows write them)
    if PureWindowsPath(local.lstrip("/") if local else written).anchor and not Path(written).is_absolute():
        return ("an absolute Windows path (a drive or a network share): write it relative to the list's folder, or "
                "as the path on this machine")
    return None


def _no_such_file(cell: str, root: Path) -> str:
    """Why a manifest's path names no file, with where it was looked for: a relative path is read from the
    manifest's folder, which a list written elsewhere does not expect."""
    if (why := elsewhere(cell)) is not None:
        return f"no such file: {why}"
    if not Path(cell).is_absolute() and local_file_path(cell) is None:
        return f"no such file in {root.absolute()} (a relative path is read from the manifest's folder)"
    return "no such file"


# How a playlist starts (M3U's header, PLS's section, XSPF's and WPL's XML), which a manifest never does
_PLAYLIST_START = re.compile(r"\ufeff?\s*(?:#EXTM3U|\[playlist\]|<\?xml[^>]*>\s*<playlist|<\?wpl|<smil)", re.IGNORECASE)


def _manifest_text(manifest: Path) -> str:
    """The manifest's text: UTF-8 (a BOM allowed) or UTF-16 with its BOM (Excel's "Unicode text"); any other
    encoding is one error naming the line, since a guessed one would misread the paths."""
    if is_music_file(manifest):
        raise LibraryError(f"manifest {manifest} is an audio file: `library` names the library's folder, or for "
                           f"layout manifest a CSV or TSV list of its tracks")
    try:
        data = manifest.read_bytes()
    except OSError as err:
        raise LibraryError(f"manifest {manifest} cannot be read: {err.strerror or err}") from None
    if data.startswith(b"PK\x03\x04"):
        raise LibraryError(f"manifest {manifest} is a zip file (a spreadsheet's own format: Excel's .xlsx, "
                           f"OpenDocument's .ods), not text: save it as CSV (Excel: \"CSV UTF-8\")")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise LibraryError(f"manifest {manifest} starts as UTF-16 text (its byte order mark) and is not: "
                               f"{err.reason} at byte {err.start}; save it again as UTF-8 or UTF-16") from None
    if (start := data[:4096]).count(0) * 4 > len(start):  # UTF-16 holds one in every ASCII character's two bytes
        raise LibraryError(f"manifest {manifest} holds NUL bytes: UTF-16 text without its byte order mark, or not a "
                           f"text file: save it as UTF-8 (Excel: \"CSV UTF-8\")")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise LibraryError(f"manifest {manifest} is not UTF-8 text (line {line} holds byte 0x{data[err.start]:02x}, "
                           f"as Windows-1252 or Latin-1 would write it): save it as UTF-8 (Excel: \"CSV UTF-8\")"
                           ) from None


MANIFEST_COLUMNS = ("path", "genre", "album", "artist")


def _manifest_rows(manifest: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, {column: cell}) per data row; columns lower-cased. Tab-separated if the header has a tab."""
    text = _manifest_text(manifest)
    lines = text.split("\n", 2)
    excel = re.fullmatch(r"sep=(.)\r?", lines[0])  # Excel's first line naming the separator: the header is next
    header_line = (lines[1] if len(lines) > 1 else "") if excel else lines[0]
    if not header_line.strip():
        raise LibraryError(f"manifest {manifest} is empty: it needs a header with the columns path and genre")
    delimiter = (excel.group(1) if excel else "\t" if "\t" in header_line
                 else ";" if ";" in header_line and "," not in header_line else ",")
    # skipinitialspace: a list written by hand as `a, "b, c"` holds "b, c", quoted after the space; cells are
    # read stripped in any case
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    if excel:
        next(reader)
    header = [cell.strip().lower() for cell in next(reader)]
    if "path" not in header and "location" in header:  # iTunes' and Music's playlists exported as text
        header[header.index("location")] = "path"
    for column in MANIFEST_COLUMNS:
        if header.count(column) > 1:  # which of them a row means cannot be known
            numbers = [str(i + 1) for i, name in enumerate(header) if name == column]
            raise LibraryError(f"manifest {manifest} has the column {column} {len(numbers)} times (columns "
                               f"{', '.join(numbers)} of its header: {', '.join(header)}); keep one")
    missing = [c for c in ("path", "genre") if c not in header]
    if missing and _PLAYLIST_START.match(text):
        raise LibraryError(f"manifest {manifest} is a playlist, which names tracks but no genre: make a manifest of "
                           f"your playlists, one genre each (the README's recipe, under \"A playlist per genre\")")
    if missing:
        raise LibraryError(f"manifest {manifest} has no {' or '.join(missing)} column (its header: "
                           f"{', '.join(header)}); it needs path and genre, optionally album and artist")
    rows = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, {column: (cells[i] if i < len(cells) else "")
                                               for i, column in enumerate(header)}))
    except csv.Error as err:  # a quote never closed reads on to the end, into a cell past the csv module's limit
        raise LibraryError(f"manifest {manifest} cannot be read past line {reader.line_num} ({err}): a quote "
                           f"opened there or before and never closed?") from None
    if not rows:
        raise LibraryError(f"manifest {manifest} has its header ({', '.join(header)}) and no track: list one track a "
                           f"line under it")
    return rows
