"""Finding the tracks of a music library laid out as <genre>/<album>/<track>."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from spectrogenre.audio_io import is_audio_file
from spectrogenre.errors import LibraryError


@dataclass(frozen=True)
class Album:
    genre: str
    name: str
    tracks: tuple[Path, ...]


@dataclass(frozen=True)
class LibraryScan:
    """Albums per genre (sorted by name), plus files that are not used and why."""

    root: Path
    genres: dict[str, tuple[Album, ...]]
    ignored: list[tuple[Path, str]] = field(default_factory=list)


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def scan_library(root: Path) -> LibraryScan:
    """List genres (top folders), albums (their sub-folders) and audio tracks.

    Tracks may sit in nested folders inside an album (CD1/, CD2/); they are sorted by
    their path within the album. Non-audio files and audio outside an album folder are
    listed in `ignored` with the reason, never dropped silently.
    """
    root = Path(root)
    if not root.is_dir():
        raise LibraryError(f"library path {root} does not exist or is not a folder")
    genres: dict[str, tuple[Album, ...]] = {}
    ignored: list[tuple[Path, str]] = []
    for genre_dir in sorted(p for p in root.iterdir() if _visible(p)):
        if not genre_dir.is_dir():
            ignored.append((genre_dir, "not inside a genre folder"))
            continue
        albums = []
        for album_dir in sorted(p for p in genre_dir.iterdir() if _visible(p)):
            if not album_dir.is_dir():
                reason = "audio file outside an album folder" if is_audio_file(album_dir) else "not an audio file"
                ignored.append((album_dir, reason))
                continue
            tracks = []
            for path in sorted(p for p in album_dir.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in path.relative_to(album_dir).parts):
                    continue
                if is_audio_file(path):
                    tracks.append(path)
                else:
                    ignored.append((path, "not an audio file"))
            if tracks:
                albums.append(Album(genre=genre_dir.name, name=album_dir.name, tracks=tuple(tracks)))
        if not albums:
            raise LibraryError(f"genre '{genre_dir.name}' has no album folder with audio files in {genre_dir}")
        genres[genre_dir.name] = tuple(albums)
    if len(genres) < 2:
        raise LibraryError(f"library {root} has {len(genres)} genre folder(s); a classifier needs at least 2")
    return LibraryScan(root=root, genres=genres, ignored=ignored)
