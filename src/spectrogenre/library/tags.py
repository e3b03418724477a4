"""Reading a track's genre, album and artist tags, whatever the container, without decoding audio.

mutagen reads every container the pipeline decodes: ID3 (mp3, and WAV/AIFF chunks),
Vorbis comments (FLAC, Ogg Vorbis, Opus), MP4 atoms (m4a/aac/alac) and ASF (wma). What that block
lacks is taken from a second one where taggers keep it: APEv2 in an MP3 (foobar2000 and Mp3tag can
write it alone), the RIFF INFO list in a WAV (Windows' and many rippers' own; libsndfile reads it).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen._constants import GENRES as ID3V1_GENRES
from mutagen.apev2 import APEv2
from mutagen.apev2 import error as APEError
from mutagen.asf import ASFTags
from mutagen.id3 import ID3
from mutagen.mp4 import MP4Tags

from spectrogenre.audio_io import (
    MUTAGEN_ERRORS,
    SndfileHeader,
    sndfile_header,
    with_mutagen,
)
from spectrogenre.errors import AudioError

# One tag value holding several genres ("Rock; Pop"); "/" stays, it is part of names like "Hip-Hop/Rap".
_VALUE_SEPARATORS = re.compile(r"[;\x00|]")
# An ID3v1 genre code as ID3 writes it ("(17)", "17", "(17)Rock"), which converters copy into other containers'
# tags as it is: read as its name wherever it stands (mutagen does so for ID3's own TCON frame).
_ID3V1_CODE = re.compile(r"\((\d{1,3})\)(.*)|(\d{1,3})")
_WAV_SUFFIXES = (".wav", ".wave")
# Formats tagged in APEv2 alone, which can be read where mutagen cannot parse the audio's header (a WavPack at a
# rate outside its table of 15 raises IndexError)
_APEV2_SUFFIXES = (".wv", ".ape")


class TagError(AudioError):
    """A file's tags cannot be read (damaged or unsupported tag block)."""


@dataclass(frozen=True)
class TrackTags:
    """What a file's tags say; "" and () where a tag is absent. `seconds` from the header, None if unknown."""

    genres: tuple[str, ...] = ()
    album: str = ""
    artist: str = ""
    album_artist: str = ""
    seconds: float | None = None


def genre_key(value: str) -> str:
    """A genre value reduced to lower-case letters and digits: 'Hip-Hop', 'hip hop' and 'HipHop' are one (a genre
    map matches values by it; without a map, sources.py learns names of one key as one genre)."""
    folded = unicodedata.normalize("NFKD", value).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def separate_values(text: str) -> tuple[str, ...]:
    """One text's genres where it joins several with `;` or `|` (a manifest's cell, as beets writes them), stripped,
    non-empty, in order, without repeats; no number read as an ID3v1 code (a dataset's labels may be numbers)."""
    return tuple(dict.fromkeys(part for part in (p.strip() for p in _VALUE_SEPARATORS.split(text)) if part))


def split_genres(values) -> tuple[str, ...]:
    """Tag values as separate, stripped, non-empty genre names, in order, without repeats."""
    names = []
    for value in values:
        for part in _VALUE_SEPARATORS.split(str(value)):
            part = _id3v1_name(part.strip())
            if part and part not in names:
                names.append(part)
    return tuple(names)


# Several genres in one value, as taggers join them where a tag holds one text: ID3v2.3 has no separator of its
# own and mutagen and Picard write "Rock/Pop", others "Rock, Pop". Names hold them too ("Hip-Hop/Rap", Discogs'
# "Folk, World, & Country"), so a value is read so only where it is not known whole.
_JOINED = re.compile(r"[/,]")


def joined_parts(value: str) -> list[str]:
    """The genres one value may join with `/` or `,` ("Rock/Pop": Rock, Pop), stripped, without empty ones."""
    return [part for part in (p.strip() for p in _JOINED.split(value)) if genre_key(part)]


def _id3v1_name(value: str) -> str:
    """`value`, an ID3v1 code (see _ID3V1_CODE) read as its genre's name; any other value as it is."""
    if (code := _ID3V1_CODE.fullmatch(value)) is None:
        return value
    if after := (code[2] or "").strip():  # "(17)Rock": the name ID3v2.3 writes after the code
        return after
    number = int(code[1] or code[3])
    return ID3V1_GENRES[number] if number < len(ID3V1_GENRES) else value


def read_tags(path: Path, *, second_block: bool = True) -> TrackTags:
    """The tags of `path`; TrackTags() for a file with no tags or a container mutagen does not know.
    second_block: what the main block lacks is read from an MP3's APEv2 or a WAV's RIFF INFO (the module doc);
    `tag` reads the main block alone, the one it writes.

    Raises TagError when the file's tag block is damaged.
    """
    path = Path(path)
    try:
        audio = with_mutagen(mutagen.File, path)
    except MUTAGEN_ERRORS as err:
        if path.suffix.lower() in _APEV2_SUFFIXES and (tags := _apev2_alone(path)) is not None:
            return tags
        raise TagError(path, f"tags cannot be read ({describe_mutagen_error(err, path)})") from None
    if audio is None:
        return TrackTags()
    seconds = getattr(getattr(audio, "info", None), "length", None)
    seconds = float(seconds) if seconds else None  # 0: a FLAC written to a pipe states no length
    # a WAV's header is read once more, by libsndfile: for its RIFF INFO and its data size
    wav_header = sndfile_header(path) if path.suffix.lower() in _WAV_SUFFIXES else SndfileHeader()
    if wav_header.length_unstated:
        seconds = None  # a placeholder data size, read as hours of audio
    tags = audio.tags
    if tags is None:
        found = {}
    elif isinstance(tags, ID3):
        found = _id3(tags)
    elif isinstance(tags, MP4Tags):
        found = _mp4(tags)
    elif isinstance(tags, ASFTags):
        found = _keyed(tags, genre="WM/Genre", album="WM/AlbumTitle", artist="Author", album_artist="WM/AlbumArtist")
    else:  # Vorbis comments (FLAC, Ogg, Opus) and APEv2: case-insensitive keys
        found = _keyed(tags, genre="genre", album="album", artist="artist", album_artist="albumartist")
    if second_block and not all(found.get(key) for key in ("genres", "album", "artist", "album_artist")):
        for key, value in _second_block(path, wav_header).items():
            found[key] = found.get(key) or value
    return TrackTags(seconds=seconds, **found)


def _apev2_alone(path: Path) -> TrackTags | None:
    """`path`'s APEv2 tags, without the length its audio header would give; None where it has none to read."""
    try:
        return TrackTags(**_keyed(with_mutagen(APEv2, path), genre="genre", album="album", artist="artist",
                                  album_artist="album artist"))
    except (APEError, OSError, ValueError):
        return None


def _second_block(path: Path, wav_header: SndfileHeader) -> dict:
    """An MP3's APEv2 tags or a WAV's RIFF INFO list (see the module doc); {} where there is none, or where it
    cannot be read (the main block was, and said what it holds)."""
    suffix = path.suffix.lower()
    if suffix == ".mp3":
        try:
            return _keyed(with_mutagen(APEv2, path), genre="genre", album="album", artist="artist",
                          album_artist="album artist")
        except (APEError, OSError, ValueError):
            return {}
    if suffix in _WAV_SUFFIXES:
        info = wav_header.metadata
        return {"genres": split_genres([info.get("genre", "")]), "album": info.get("album", "").strip(),
                "artist": info.get("artist", "").strip()}
    return {}


def _id3(tags: ID3) -> dict:
    text = lambda frame: str(tags[frame].text[0]).strip() if frame in tags and tags[frame].text else ""  # noqa: E731
    genres = tags["TCON"].genres if "TCON" in tags else []  # maps ID3v1 codes: "(17)" -> Rock
    return {"genres": split_genres(genres), "album": text("TALB"), "artist": text("TPE1"), "album_artist": text("TPE2")}


def _mp4(tags: MP4Tags) -> dict:
    first = lambda key: str(tags[key][0]).strip() if tags.get(key) else ""  # noqa: E731
    genres = list(tags.get("\xa9gen", [])) + mp4_numeric_genres(tags)
    return {"genres": split_genres(genres), "album": first("\xa9alb"), "artist": first("\xa9ART"),
            "album_artist": first("aART")}


def mp4_numeric_genres(tags: MP4Tags) -> list[str]:
    """The genre names of an MP4's older numeric atom (gnre: ID3v1 code + 1)."""
    return [ID3V1_GENRES[int(code) - 1] for code in tags.get("gnre", []) if 0 < int(code) <= len(ID3V1_GENRES)]


def _keyed(tags, *, genre: str, album: str, artist: str, album_artist: str) -> dict:
    lower = {}
    for key, value in tags.items():
        lower.setdefault(str(key).lower(), []).extend(value if isinstance(value, list) else [value])
    first = lambda key: str(lower[key.lower()][0]).strip() if lower.get(key.lower()) else ""  # noqa: E731
    return {"genres": split_genres(lower.get(genre.lower(), [])), "album": first(album), "artist": first(artist),
            "album_artist": first(album_artist)}


def describe_mutagen_error(err: Exception, path: Path) -> str:
    """mutagen's last line, without the path the message is already about ("'/music/x.flac' is not a valid FLAC
    file": "not a valid FLAC file"); where it says nothing, which tag format it found damaged (mutagen.id3 -> ID3)."""
    if str(err).strip():
        line = str(err).strip().splitlines()[-1]
        for named in (repr(Path(path)), repr(str(path)), str(path)):  # PosixPath('/x.mp3'), '/x.mp3', /x.mp3
            line = line.replace(f"{named} is ", "").replace(named, "the file")
        return line
    module = type(err).__module__.split(".")
    return f"damaged {module[1].upper()} data" if module[0] == "mutagen" and len(module) > 1 else type(err).__name__
