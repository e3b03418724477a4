"""Writing predicted genres into files' own genre tags, safely, with an undo log.

A write never touches the original until a tagged copy beside it has been checked: the
same decoded samples, every other tag unchanged, the genre reading back as intended.
Only then is the copy renamed over the original, after the undo log line is on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import zip_longest
from pathlib import Path

import mutagen
import numpy as np
import soundfile as sf
from mutagen.id3 import ID3, TCON, Encoding
from mutagen.mp4 import MP4Tags

from spectrogenre.audio_io import (
    MUTAGEN_ERRORS,
    BoundedReads,
    SndfileInput,
    ffmpeg_input,
    held_for_ffmpeg,
    mpeg_quiet,
    ogg_chained,
    unreadable,
    with_mutagen,
)
from spectrogenre.errors import AudioError, SpectrogenreError
from spectrogenre.library.tags import (
    TagError,
    describe_mutagen_error,
    joined_parts,
    mp4_numeric_genres,
    read_tags,
)
from spectrogenre.mpeg_frames import synchsafe
from spectrogenre.shown import padded, percent, shown_path, shown_text
from spectrogenre.verdicts import NO_MUSIC, UNSURE

# Containers whose genre tag we write (ID3v2 TCON, Vorbis comment GENRE, MP4 \xa9gen) and can check decode.
WRITABLE = frozenset({".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4"})
# mutagen's names for what WRITABLE's suffixes hold: a file whose content is another format (a WAV renamed .mp3)
# is refused like its own suffix would be
WRITABLE_CONTENT = frozenset({"MP3", "FLAC", "OggVorbis", "OggOpus", "OggFLAC", "MP4"})
FFMPEG_DECODED = frozenset({".m4a", ".mp4"})  # libsndfile does not read MP4
BLOCK_FRAMES = 1 << 16  # compare audio in bounded memory: an hour-long mix is not decoded at once
# The tagged copy is made beside the original under this prefix; the leading dot makes it a system entry that
# walk.py passes over, so neither predict, scan nor tag takes it for music.
TEMP_PREFIX = ".spectrogenre-tag."
_NAME_MAX = 255  # bytes in a file name: ext4, btrfs, XFS, ZFS (NTFS and exFAT: 255 UTF-16 units, no fewer bytes)
# Not deleted automatically: nothing proves a file of that name is not one a tag run is writing now (or someone
# else's), and the copy may be the only sign of what happened; deleting it never harms the original.
LEFTOVER_COPY = ("spectrogenre tag's own temporary copy, left by a run stopped while writing: safe to delete unless "
                 "a tag run is working in this folder now")


class TaggingError(AudioError):
    """A genre tag cannot be written to a file (unsupported, read-only, or the check of the copy failed)."""


class Undecodable(TaggingError):
    """A file the write's check cannot decode strictly, sample for sample."""


@dataclass(frozen=True)
class Decision:
    """What --write does with one file: "write" (then `new` is the genre tag), "skip: ..." or "error: ..."."""

    action: str
    new: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    """One file's line of the report."""

    path: str
    action: str
    current: tuple[str, ...] = ()
    predicted: str | None = None
    confidence: float | None = None
    other_links: int = 0  # a file written (or to be) that has other names, hard links, which keep the old genre

    @property
    def failed(self) -> bool:
        return self.action.startswith("error:")

    @property
    def warning(self) -> str | None:
        """A note about the run rather than a file's result (the path names a log line), else None."""
        return self.action.removeprefix("warning: ") if self.action.startswith("warning: ") else None


def merged(current: tuple[str, ...], genre: str, *, mode: str) -> tuple[str, ...]:
    """The genre tag after writing `genre`: replace -> (genre,), unless it is that alone in another case (a map's
    `rock` over a tag's `Rock`: rewriting a file for the case alone changes nothing it says); append -> added last
    unless there (any case), alone or joined in one value ("Rock/Metal", as ID3v2.3 taggers write two)."""
    if mode == "replace":
        return current if [value.casefold() for value in current] == [genre.casefold()] else (genre,)
    if genre.casefold() in {part.casefold() for value in current for part in (value, *joined_parts(value))}:
        return current
    return (*current, genre)


def decide(current: tuple[str, ...], verdict: dict | None, *, min_confidence: float, only_empty: bool,
           mode: str) -> Decision:
    """The action for a file with genre tag `current` and predict_file's `verdict` (None: not predicted,
    which only_empty allows for a file that has a genre)."""
    if only_empty and current:
        return Decision("skip: has a genre (--only-empty)")
    if verdict["error"]:
        return Decision(f"error: {verdict['error']}")
    if verdict["genre"] in (UNSURE, NO_MUSIC):
        return Decision(f"skip: {verdict['genre']}")
    if verdict["confidence"] < min_confidence:
        return Decision("skip: below --min-confidence")
    new = merged(current, verdict["genre"], mode=mode)
    if new == current:
        return Decision(f"skip: already {verdict['genre']}")
    return Decision("write", new)


def tag_file(path: Path, predict: Callable[[Path], dict], *, min_confidence: float, only_empty: bool, mode: str,
             log: Path | None) -> Row:
    """One file's row; with a `log` the write is made (and logged), without one it is a dry run.

    `predict(path)` gives predict_file's row. A symlink is followed: the real file is tagged, the link stays.
    """
    current, verdict, other_links = (), None, 0
    try:
        # predict's own check and words: a broken link, a link loop, a pipe, a device or a folder named x.mp3 is
        # named as what it is, and only then is a link followed (resolving a loop raises)
        if (problem := unreadable(path)) is not None:
            raise TaggingError(path, problem)
        real = path.resolve()
        if is_temp_copy(path) or is_temp_copy(real):
            raise TaggingError(path, LEFTOVER_COPY)
        if real.suffix.lower() not in WRITABLE:
            raise TaggingError(path, f"writing genre tags to {real.suffix.lower() or 'extension-less'} files "
                                     f"is not supported (only to {', '.join(sorted(s[1:] for s in WRITABLE))})")
        if (held := _unwritable_content(real)) is not None:
            raise TaggingError(path, f"holds {held} audio, not what its name ({real.suffix}) says: writing genre "
                                     f"tags to {held} files is not supported")
        if ogg_chained(real):  # the tag is the first stream's, and the check of a write decodes the first alone
            raise TaggingError(path, "a chained Ogg file (streams one after another: joined files, a radio "
                                     "recording): a genre written to its first stream could not be checked against "
                                     "the others; not supported")
        try:
            current = read_tags(real, second_block=False).genres
        except TagError as unread:
            # a file that is not what its name says (empty, text, damaged) is named in predict's words where it
            # cannot be decoded either; the tag reader's are about a format it may not be
            raise TaggingError(path, predict(real)["error"] or unread.problem) from None
        verdict = None if only_empty and current else predict(real)
        decision = decide(current, verdict, min_confidence=min_confidence, only_empty=only_empty, mode=mode)
        action = decision.action
        if action == "write":
            # the write replaces the file by a checked copy, so a name that is one of several (a hard link: a
            # torrent's or backup's copy linked into the library) becomes a file of its own; the others keep the
            # old genre, and their bytes (a seeded file stays whole), which the caller says
            other_links = real.stat().st_nlink - 1
        if action == "write" and log is None:
            check_writable(real)
        elif action == "write":
            old = stored_genres(real)
            write_genres(real, old=old, new=_to_store(decision.new, old=old, path=real, mode=mode), log=log,
                         reads_as=decision.new)
            action = "written"
    except AudioError as err:
        action, other_links = f"error: {err.problem}", 0
    return Row(str(path), action, current, verdict["genre"] if verdict else None,
               verdict["confidence"] if verdict else None, other_links)


# How --mode append joins several genres in one value where players show one value of a genre tag: "Jazz; Rock"
JOINED_BY = "; "


def _to_store(new: tuple[str, ...], *, old: tuple[str, ...], path: Path, mode: str) -> tuple[str, ...]:
    """The values to store for the genre tag `new` (as read_tags reads it) over `old` (as stored). append: the
    values there as they are stored ("Jazz; Blues" stays one value, not two), the genre after them; where players
    show one value (_shows_one_value), all joined in one ("Jazz; Blues; Rock"). Either reads back as `new`
    (tags.split_genres splits a value at ";")."""
    if mode != "append" or len(new) < 2:
        return new
    return (JOINED_BY.join(new),) if _shows_one_value(path) else (*old, new[-1])


def _shows_one_value(path: Path) -> bool:
    """Whether players may show only the first of several values of `path`'s genre tag: ffmpeg (and so the players
    built on it) does of an ID3 frame's null-separated values, v2.4's own way, which v2.3 does not have, and iTunes
    and ffmpeg of an MP4's ©gen atom's. A Vorbis comment's several GENRE fields are read whole."""
    with BoundedReads(path) as file:
        tags = getattr(_mutagen_file(file), "tags", None)
    return isinstance(tags, ID3 | MP4Tags)


def is_temp_copy(path: Path) -> bool:
    """Whether `path` is named as the copy write_genres makes (whoever made it)."""
    return path.name.startswith(TEMP_PREFIX)


def leftover_copies(system_files: list[Path]) -> list[Path]:
    """The temporary copies among a folder walk's system files: a run stopped mid-write (killed, power cut)
    leaves its copy, a file as big as the song, which no later run would otherwise mention."""
    return [path for path in system_files if is_temp_copy(path)]


def check_writable(path: Path) -> None:
    """Raise TaggingError unless the file and its folder are writable (a cleared write bit counts even for root)."""
    for target, what in ((path, "the file"), (path.parent, "its folder")):
        if not os.access(target, os.W_OK) or not target.stat().st_mode & 0o222:
            raise TaggingError(path, f"read-only: {what} is not writable")


def temp_copy(path: Path) -> Path:
    """Where write_genres makes `path`'s tagged copy: beside it, TEMP_PREFIX before its name (the same suffix:
    mutagen detects by it). A name too long for the prefix (over 255 bytes with it: 80 CJK characters fill that)
    is replaced by a digest of it."""
    temp = path.with_name(TEMP_PREFIX + path.name)
    if len(os.fsencode(temp.name)) <= _NAME_MAX:
        return temp
    return path.with_name(f"{TEMP_PREFIX}{hashlib.sha1(os.fsencode(path.name)).hexdigest()[:16]}{path.suffix}")


def write_genres(path: Path, *, old: tuple[str, ...], new: tuple[str, ...], log: Path | None,
                 restoring: bool = False, reads_as: tuple[str, ...] | None = None) -> None:
    """Make `path`'s genre tag `new` (empty: no genre tag) through a checked copy, logging (old, new) first.

    The copy must then store exactly `new`, and read as `reads_as` (default `new`: a genre the reader would split or
    map is not written), unless `restoring`: an undo gives stored values back as they were, whatever they read as.

    On any failure the copy is deleted, the original is left byte-identical and TaggingError says why.
    """
    check_writable(path)
    if _unread_genre_frames(path):  # the original's own: refused before a copy is made and compared
        raise TaggingError(path, "its ID3 tag holds a genre frame (TCON) that mutagen cannot read (a malformed "
                                 "frame), which writing the genre would replace unread; file left as it was")
    temp = temp_copy(path)
    if temp.exists() or temp.is_symlink():  # another run's, or one stopped mid-write: not ours to delete
        raise TaggingError(path, f"{temp} is in the way (left by a stopped run?): delete it and try again")
    try:
        shutil.copyfile(path, temp)
        set_genres(temp, new)
        verify_copy(path, temp, new, restoring=restoring, reads_as=reads_as)
        keep_owner_and_mode(path, temp)
        with open(temp, "rb+") as copy:  # on disk before it replaces the original, even if power fails
            os.fsync(copy.fileno())
        if log is not None:
            append_log(log, path=path, old=old, new=new)
        os.replace(temp, path)
    except MUTAGEN_ERRORS as err:
        raise TaggingError(path, f"cannot write the genre tag ({describe_mutagen_error(err, temp)}); file left as it "
                                 f"was") from None
    finally:
        temp.unlink(missing_ok=True)


def set_genres(path: Path, genres: tuple[str, ...]) -> None:
    """Replace every genre value in `path`'s tags by `genres` (none: remove the genre tag), other tags untouched.

    Loaded and saved through one bounded file (see _mutagen_file); what mutagen raises for a damaged file is in
    MUTAGEN_ERRORS."""
    with BoundedReads(path, "r+") as file:
        audio = _mutagen_file(file)
        if audio is None:
            raise mutagen.MutagenError("not a file mutagen can tag")  # write_genres names the original
        id3v1 = _id3v1_tag(file) if isinstance(audio.tags, ID3) else None
        if isinstance(audio.tags, ID3) and audio.tags.version[:2] == (2, 3):
            # An ID3v2.3 tag (what most MP3s carry, and all that many players read) stays v2.3, its frames as they
            # are: read plainly, mutagen would translate them to v2.4 ones (the year, sort orders) and save those.
            # Several genres are null-separated, as in v2.4 (a v2.3 reader shows the first).
            tags = _id3v2(file, translate=False)
            _replace_genres(tags, genres)
            file.seek(0)
            tags.save(file, v2_version=3, v23_sep=None)
        elif isinstance(audio.tags, ID3) and audio.tags.version >= (2, 2):
            # mutagen cannot write ID3v2.2: that (rare) tag becomes v2.4
            tags = _id3v2(file, translate=True)
            _replace_genres(tags, genres)
            file.seek(0)
            tags.save(file, v2_version=4)
        else:
            if audio.tags is None:
                audio.add_tags()
            # a new ID3 tag is v2.4; one made from an ID3v1 tag alone holds its fields too (what players showed)
            _replace_genres(audio.tags, genres)
            file.seek(0)
            audio.save(file, **({"v2_version": 4} if isinstance(audio.tags, ID3) else {}))
        if id3v1 is not None:
            _put_back_id3v1(file, id3v1)


def _id3v1_tag(file: BoundedReads) -> bytes | None:
    """The ID3v1 tag at an opened file's end (its last 128 bytes, starting "TAG"), or None."""
    if os.fstat(file.fileno()).st_size < 128:
        return None
    file.seek(-128, os.SEEK_END)
    tail = file.read(128)
    return tail if tail.startswith(b"TAG") else None


def _put_back_id3v1(file: BoundedReads, id3v1: bytes) -> None:
    """Give an ID3v1 tag back byte for byte where a save rewrote it (mutagen makes it again from the ID3v2 frames:
    its title, artist, album and genre from theirs, its comment erased, and an undo could not bring them back). It
    keeps its old genre: players read the ID3v2 tag first, and the v1 tag's is a number from a fixed list."""
    if _id3v1_tag(file) is None:
        raise mutagen.MutagenError("the ID3v1 tag at its end was not kept")
    file.seek(-128, os.SEEK_END)
    file.write(id3v1)


def _unwritable_content(path: Path) -> str | None:
    """The format `path` holds where it is one `tag` does not write (WAV, AIFF), whatever its name says; None for
    one it writes, or one mutagen cannot read (read_tags and predict then say what is wrong with it)."""
    try:
        with BoundedReads(path) as file:
            audio = _mutagen_file(file)
    except MUTAGEN_ERRORS:
        return None
    held = type(audio).__name__
    return None if audio is None or held in WRITABLE_CONTENT else {"WAVE": "WAV"}.get(held, held)


def _mutagen_file(file: BoundedReads):
    """mutagen.File of an opened file, from its start. Every mutagen read of `tag` goes through BoundedReads, as
    read_tags' does: a damaged size (an MP4 atom's, up to 2**64) is a short read and mutagen's own error, not a
    request for that many bytes (a MemoryError)."""
    file.seek(0)
    return mutagen.File(file)


def _id3v2(file: BoundedReads, *, translate: bool) -> ID3:
    """An opened file's ID3v2 tag alone: loaded plainly, mutagen copies an ID3v1 tag's fields into the frames the
    v2 tag lacks (its album, year, comment, genre), which a save would then write there. Untranslated
    (`translate` False), as stored: mutagen's v2.4 translation rewrites "(17)" as "Rock", and a v2.3 tag's year and
    sort orders as v2.4 frames."""
    file.seek(0)
    return ID3(file, translate=translate, load_v1=False)


def _replace_genres(tags, genres: tuple[str, ...]) -> None:
    if isinstance(tags, list):  # a Vorbis comment block: its (key, value) pairs in order
        _replace_vorbis_genres(tags, genres)
        return
    encoding = _id3_text_encoding(tags.get("TCON"), genres) if isinstance(tags, ID3) else None
    for key in [key for key in tags.keys() if key.lower() in _genre_keys(tags)]:  # noqa: SIM118 (a Vorbis block iterates as pairs)
        del tags[key]
    if genres and isinstance(tags, ID3):
        tags.add(TCON(encoding=encoding, text=list(genres)))
    elif genres:
        tags["\xa9gen" if isinstance(tags, MP4Tags) else "GENRE"] = list(genres)


def _replace_vorbis_genres(pairs: list, genres: tuple[str, ...]) -> None:
    """The genre fields of a Vorbis comment block replaced where the first of them was, under its key as written
    ("genre" stays "genre"; none: "GENRE", at the end), so that writing the old genres back restores the block."""
    # mutagen's block is a list whose item access is by key: its pairs are read and set through list's own methods
    old = list(list.__iter__(pairs))
    at = next((i for i, (key, _) in enumerate(old) if key.lower() == "genre"), len(old))
    key = old[at][0] if at < len(old) else "GENRE"
    kept = [(i, pair) for i, pair in enumerate(old) if pair[0].lower() != "genre"]
    list.clear(pairs)
    list.extend(pairs, [pair for i, pair in kept if i < at] + [(key, genre) for genre in genres]
                + [pair for i, pair in kept if i > at])


def _id3_text_encoding(frame, genres: tuple[str, ...]) -> Encoding:
    """The text encoding of the TCON frame that replaces `frame`: its own where `genres` can be written in it, so a
    write and its undo give the frame back byte for byte (most v2.3 tags are Latin-1, which mutagen would rewrite as
    UTF-16); else UTF-8 (saved as UTF-16 in a v2.3 tag, which has no UTF-8)."""
    if frame is not None and frame.encoding == Encoding.LATIN1:
        try:
            "".join(genres).encode("latin-1")
        except UnicodeEncodeError:
            return Encoding.UTF8
    return Encoding.UTF8 if frame is None else frame.encoding


def stored_genres(path: Path) -> tuple[str, ...]:
    """The genre values of `path`'s main tag block exactly as stored, which the undo log keeps and an undo gives
    back: read_tags interprets them (an ID3 "(17)" reads as Rock, "Rock; Pop" as two genres), and writing the
    interpretation back would change a tag the user never asked to change. An MP4's numeric gnre atom, which is
    not written, is kept as the names it stands for."""
    try:
        with BoundedReads(path) as file:
            audio = _mutagen_file(file)
            tags = None if audio is None else audio.tags
            if isinstance(tags, ID3):
                # an ID3v1 tag alone: its genre, as players show it (a write keeps it and adds a v2 tag)
                frames = _id3v2(file, translate=False) if tags.version >= (2, 2) else tags
                # an empty value is none: mutagen writes no frame for it, so it could not be given back
                return tuple(value for value in frames["TCON"].text if value) if "TCON" in frames else ()
    except MUTAGEN_ERRORS as err:
        # an undo reads a file that may have been damaged since its write, before anything else has read it
        raise TaggingError(path, f"tags cannot be read ({describe_mutagen_error(err, path)})") from None
    if tags is None:
        return ()
    if isinstance(tags, MP4Tags):
        return (*tags.get("\xa9gen", []), *mp4_numeric_genres(tags))
    keys = _genre_keys(tags)
    # keys(): a Vorbis comment block iterates as (key, value) pairs
    return tuple(str(value) for key in tags.keys() if key.lower() in keys for value in tags[key])  # noqa: SIM118


def _genre_keys(tags) -> frozenset[str]:
    """Tag keys of the main tag block that hold a genre (lower case): read_tags reads all of them, so a write
    replaces all of them."""
    if isinstance(tags, ID3):
        return frozenset({"tcon"})
    if isinstance(tags, MP4Tags):
        return frozenset({"\xa9gen", "gnre"})  # gnre: the older numeric atom
    return frozenset({"genre"})  # Vorbis comments: keys are case-insensitive


def other_tags(path: Path) -> list[tuple[str, str]]:
    """Every tag of `path` but the genre, as sorted (key, repr(value)) pairs, to compare two files' tags."""
    try:
        audio = with_mutagen(mutagen.File, path)
    except MUTAGEN_ERRORS as err:
        raise TaggingError(path, f"tags cannot be read ({describe_mutagen_error(err, path)})") from None
    tags = None if audio is None else audio.tags
    if tags is None:
        return []
    genre = _genre_keys(tags)
    return sorted((str(key), repr(value)) for key, value in tags.items() if str(key).lower() not in genre)


def keep_owner_and_mode(original: Path, copy: Path) -> None:
    """Give the copy the original's permission bits, and its owner and group where this user may (root may; another
    user may set a group it belongs to): a tag written by root must not lock the file's owner out of it. Then its
    extended attributes: an access list (a media server's account given the file by `setfacl`) is one, as are a
    desktop's tags; one this user may not set is TaggingError, and the original is left, except the system's
    security labels (SELinux), which the copy has from its folder. Its modification time is the write's, so a backup
    or sync sees the change."""
    shutil.copymode(original, copy)
    status = original.stat()
    with contextlib.suppress(PermissionError):
        os.chown(copy, status.st_uid, status.st_gid)
    with contextlib.suppress(PermissionError):
        os.chown(copy, -1, status.st_gid)
    for name in _xattr_names(original):
        try:
            os.setxattr(copy, name, os.getxattr(original, name))
        except OSError as err:
            if not name.startswith(("security.", "trusted.")):
                raise TaggingError(original, f"its extended attribute {name} cannot be kept on the tagged copy "
                                             f"({err.strerror}); file left as it was") from None


def _xattr_names(path: Path) -> list[str]:
    """`path`'s extended attributes; none where the system or its file system has none."""
    try:
        return os.listxattr(path)
    except (OSError, AttributeError):  # ENOTSUP; AttributeError: no xattr calls on this system (macOS' Python)
        return []


def verify_copy(original: Path, copy: Path, genres: tuple[str, ...], *, restoring: bool = False,
                reads_as: tuple[str, ...] | None = None) -> None:
    """Raise TaggingError unless `copy` has `original`'s samples and other tags, stores `genres` exactly and,
    unless `restoring` (see write_genres), reads back as `reads_as` (default `genres`)."""
    if not same_samples(original, copy):
        raise TaggingError(original, "the tagged copy decodes to different audio; file left as it was")
    if other_tags(original) != other_tags(copy):
        raise TaggingError(original, "writing the genre changed other tags; file left as it was")
    # an MP3 with an ID3v1 tag alone gets a v2 tag made from it, whose fields ffmpeg names otherwise; mutagen read
    # every field of the v1 tag, which is all fixed fields
    if not _id3v1_alone(original) and (changed := _changed_as_ffmpeg_reads(original, copy)) is not None:
        raise TaggingError(original, f"writing the genre would change other tags as ffmpeg reads them ({changed}): "
                                     f"a tag mutagen cannot read (a malformed frame) would be lost; file left as it was")
    if lost := _id3_frames_lost(original, copy):
        raise TaggingError(original, f"its ID3 tag holds {', '.join(lost)} frame(s) that mutagen cannot read, which "
                                     f"writing the genre would drop (a malformed frame); file left as it was")
    stored = stored_genres(copy)
    if stored != genres:
        raise TaggingError(original, f"the genre tag holds {list(stored)}, not {list(genres)}; file left as it was")
    read_back = read_tags(copy, second_block=False).genres
    expected = genres if reads_as is None else reads_as
    if not restoring and read_back != expected:
        raise TaggingError(original, f"the genre reads back as {list(read_back)}, not {list(expected)}; "
                                     "file left as it was")


def _id3v1_alone(path: Path) -> bool:
    """Whether `path`'s ID3 tags are an ID3v1 tag alone."""
    with BoundedReads(path) as file:
        tags = getattr(_mutagen_file(file), "tags", None)
    return isinstance(tags, ID3) and tags.version < (2, 2)


def _id3_frames_lost(original: Path, copy: Path) -> list[str]:
    """The IDs of the frames (but the genre's, TCON) in `original`'s ID3v2 tag that `copy`'s has fewer of, as
    stored: the third reader. mutagen drops a frame it cannot parse (a text frame of an unknown encoding, a picture
    cut short) and ffmpeg skips it too, so neither sees it go. [] where either has no ID3v2.3 or 2.4 tag, or the
    two versions differ (a frame's ID is the version's)."""
    before, after = _id3_frame_ids(original), _id3_frame_ids(copy)
    if before is None or after is None or before[0] != after[0]:
        return []
    lost = before[1] - after[1]
    lost.pop("TCON", None)
    return sorted(lost)


def _unread_genre_frames(path: Path) -> int:
    """How many genre frames (TCON) of `path`'s ID3v2.3 or 2.4 tag, as its bytes hold them, mutagen did not parse:
    a write replaces the genre frames it read, and one it dropped, the user's genre, would be lost unseen."""
    if (stored := _id3_frame_ids(path)) is None or not stored[1]["TCON"]:
        return 0
    with BoundedReads(path) as file:
        tags = getattr(_mutagen_file(file), "tags", None)
    return stored[1]["TCON"] - (len(tags.getall("TCON")) if isinstance(tags, ID3) else 0)


# An ID3v2 frame's ID: four capitals or digits; what follows the last frame is padding (zero bytes)
_ID3_FRAME_ID = re.compile(rb"[A-Z0-9]{4}")


def _id3_frame_ids(path: Path) -> tuple[int, Counter] | None:
    """(its version, the IDs of its frames counted) of the ID3v2.3 or 2.4 tag at `path`'s start, as its bytes hold
    them; None where there is none."""
    with open(path, "rb") as file:
        head = file.read(10)
        if len(head) < 10 or head[:3] != b"ID3" or head[3] not in (3, 4):
            return None
        data = file.read(synchsafe(head[6:10]))
    version, flags = head[3], head[5]
    if version == 3 and flags & 0x80:  # the whole tag unsynchronised: 0xFF 0x00 stands for 0xFF
        data = data.replace(b"\xff\x00", b"\xff")
    at = 0
    if flags & 0x40 and len(data) >= 4:  # an extended header: 2.4 counts its own size field, 2.3 does not
        at = synchsafe(data[:4]) if version == 4 else int.from_bytes(data[:4], "big") + 4
    ids = Counter()
    while at + 10 <= len(data) and _ID3_FRAME_ID.fullmatch(frame := data[at:at + 4]):
        ids[frame.decode("ascii")] += 1
        size = data[at + 4:at + 8]
        at += 10 + (synchsafe(size) if version == 4 else int.from_bytes(size, "big"))
    return version, ids


def _changed_as_ffmpeg_reads(original: Path, copy: Path) -> str | None:
    """The first tag but the genre that ffprobe reads differently in `copy` ("comment: 'x' -> none"), else None.
    A second reader: mutagen drops a frame it cannot parse (a comment without its description's end) and saves the
    tag without it, and compared by mutagen alone the loss is not seen. None too where ffprobe is not installed or
    cannot read the original."""
    before = _ffmpeg_tags(original)
    if before is None:
        return None
    after = _ffmpeg_tags(copy) or {}
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key):
            shown = lambda value: "none" if value is None else repr(value)
            return f"{key}: {shown(before.get(key))} -> {shown(after.get(key))}"
    return None


def _ffmpeg_tags(path: Path) -> dict[str, str] | None:
    """Every tag but the genre as ffprobe reads `path` (the container's and each stream's: an Ogg file's comments are
    its stream's), or None where ffprobe is not installed or fails."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return None
    try:
        run = subprocess.run([ffprobe, "-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json",
                              ffmpeg_input(path)], capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return None
    if run.returncode != 0:
        return None
    found = json.loads(run.stdout.decode("utf-8", "replace"))
    held = [("", found.get("format", {}).get("tags", {}))]
    held += [(f"stream {i} ", stream.get("tags", {})) for i, stream in enumerate(found.get("streams", []))]
    return {f"{where}{key}": value for where, tags in held for key, value in tags.items() if key.lower() != "genre"}


def same_samples(original: Path, copy: Path) -> bool:
    """Whether the tagged copy decodes to exactly the original's samples at their native rate (no resampling);
    libmpg123's complaints about frames it decodes anyway are not shown (as in every other decode). The check
    decodes strictly: a file whose audio is damaged cannot be checked, and is said to be so, by its own name."""
    with mpeg_quiet(original):  # one for both: the same container, and the silencing does not nest
        try:
            return all(x is not None and y is not None and np.array_equal(x, y)
                       for x, y in zip_longest(sample_blocks(original), sample_blocks(copy)))
        except Undecodable as err:
            if err.path != str(original):
                raise TaggingError(original, f"the tagged copy {err.problem}; file left as it was") from None
            raise TaggingError(original, f"its audio {err.problem}, so a write cannot be checked against it (the "
                                         f"audio is damaged, not the tag); file left as it was") from None


def sample_blocks(path: Path) -> Iterator[np.ndarray]:
    """`path` decoded at its own rate, as float32 blocks: soundfile (frames, channels), or ffmpeg (interleaved
    samples) for MP4, and for MP3 where it is installed: libsndfile reads an MP3 without a frame count in its
    header only as far as it estimates from the file's size, which a tag changes; ffmpeg reads to the end.
    Two files with the same audio give the same blocks."""
    ffmpeg = shutil.which("ffmpeg")
    if path.suffix.lower() not in FFMPEG_DECODED and not (path.suffix.lower() == ".mp3" and ffmpeg):
        # opened by Python: soundfile cannot open a name that is not UTF-8 (an old archive's Latin-1)
        with SndfileInput(path) as file:
            try:
                handle = sf.SoundFile(file)
            except sf.LibsndfileError as err:
                if held_for_ffmpeg(path) is None:  # else FLAC in Ogg, which ffmpeg decodes, as predict does
                    raise Undecodable(path, f"cannot be decoded ({err.error_string})") from None
                handle = None
            if handle is not None:
                with handle:
                    try:
                        # to where a read gives nothing: a length libsndfile cannot tell is counted as 2**63 frames
                        while len(block := handle.read(BLOCK_FRAMES, dtype="float32", always_2d=True)):
                            yield block
                    except sf.LibsndfileError as err:
                        raise Undecodable(path, f"cannot be decoded ({err.error_string})") from None
                return
    if ffmpeg is None:
        raise TaggingError(path, f"checking {path.suffix} audio needs ffmpeg, which is not installed")
    with subprocess.Popen([ffmpeg, "-nostdin", "-v", "error", "-i", ffmpeg_input(path), "-vn", "-f", "f32le", "-"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        while chunk := process.stdout.read(BLOCK_FRAMES * 4):
            yield np.frombuffer(chunk, dtype=np.float32)
        if process.wait() != 0:
            raise Undecodable(path, "cannot be decoded (ffmpeg failed)")


def append_log(log: Path, *, path: Path, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """Append one undo line and make it durable (fsync), so that no write can happen unlogged."""
    created = not log.exists()
    try:
        # A name that is not UTF-8 (an old archive's Latin-1) holds lone surrogates ("\udce9"): written as JSON's own
        # escape \udce9, the log stays UTF-8 text and json.loads gives back the name the file system knows.
        with open(log, "a", encoding="utf-8", errors="backslashreplace") as out:
            out.write(json.dumps({"path": str(path), "old": list(old), "new": list(new)}, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        if created:  # the new file's name must survive a crash too
            folder = os.open(log.resolve().parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
    except OSError as err:
        raise SpectrogenreError(f"cannot write the undo log {log}: {err.strerror or err}") from None


def check_log(log: Path) -> None:
    """Refuse --log before anything is written unless it is new, empty or an undo log: the log is appended to, and
    `--log song.m4a` or `--log notes.txt` typed by mistake would append JSON lines to that file. A log that
    cannot be written is refused too, so that it is said before the first file is classified, not after."""
    if not log.exists() and not log.is_symlink():
        folder = log.parent
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            raise SpectrogenreError(f"cannot write the undo log {log}: its folder {folder} {what}; name another "
                                    f"with --log")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise SpectrogenreError(f"cannot write the undo log {log}: its folder {folder} cannot be written "
                                    f"(permission denied, or a read-only file system); name another with --log")
        return
    if not log.is_file():
        raise SpectrogenreError(f"--log {log} is not a file: name a new file for the undo log")
    if not os.access(log, os.W_OK):
        raise SpectrogenreError(f"cannot write the undo log {log}: permission denied, or a read-only file system; "
                                f"name another with --log")
    if log.stat().st_size == 0:
        return
    try:
        entries = read_log(log).entries
    except SpectrogenreError:
        entries = []
    if not entries:
        raise SpectrogenreError(f"--log {log} is not an undo log (no line of it is one), and the log is appended to: "
                                f"name a new file")


def default_log() -> Path:
    return Path(f"spectrogenre-tag-{datetime.now():%Y%m%d-%H%M%S}.jsonl")


NOT_A_LOG_LINE = "not an undo log line (want path, old, new): its write, if it was made, is not undone"
INCOMPLETE_LAST_LINE = "an incomplete last line (a run stopped while logging a write it then never made): skipped"


@dataclass(frozen=True)
class UndoLog:
    """An undo log's lines: entries (line number, entry) in the order written; bad: the numbers of lines that are
    not entries; incomplete_last: the number of a last line cut short, else None."""

    entries: list[tuple[int, dict]]
    bad: list[int]
    incomplete_last: int | None


def read_log(log: Path) -> UndoLog:
    """See UndoLog; SpectrogenreError for a file that is not an undo log at all (no line of it is one)."""
    try:
        lines = log.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise SpectrogenreError(f"cannot read the undo log {log}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise SpectrogenreError(f"{log} is not an undo log (it is not text; `tag --write --log` writes one)") from None
    entries, bad, incomplete_last = [], [], None
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except RecursionError:  # brackets nested thousands deep: whole JSON, and no entry
            entry = None
        except json.JSONDecodeError:
            # A line is logged (and synced) before its write: a last line cut short by a kill or power cut is one
            # whose write never happened. Any cut of a JSON object is itself invalid JSON, so a line that parses
            # was written whole, and one that is not an entry is not that.
            if number == len(lines):
                incomplete_last = number
                continue
            entry = None
        # a path holding a NUL names no file: no write logs one
        if (isinstance(entry, dict) and isinstance(entry.get("path"), str) and "\0" not in entry["path"]
                and all(isinstance(entry.get(k), list) and all(isinstance(v, str) for v in entry[k])
                        for k in ("old", "new"))):
            entries.append((number, entry))
        else:
            bad.append(number)
    if bad and not entries:
        raise SpectrogenreError(f"{log} is not an undo log: no line of it is one (want path, old, new; "
                                "`tag --write --log` writes one)")
    return UndoLog(entries, bad, incomplete_last)


def undo_log(log: Path) -> Iterator[Row]:
    """Reverse an undo log, latest write first: one row per entry ("restored", "skip: already undone", "error: ...").

    A line that is not an entry is an error row (path: LOG:LINE) in its place, and the other entries are still
    undone: each is undone only where the file's genre is still exactly what that entry wrote, so a lost line
    cannot make another one restore the wrong genre (a later write to the same file, undone first, restores
    that line's `new`, and an earlier entry for the file then sees a genre it did not write: a conflict, left
    alone). A last line cut short is a warning row, not a failure: its write never happened.
    """
    read = read_log(log)
    if read.incomplete_last is not None:
        yield Row(f"{log}:{read.incomplete_last}", f"warning: {INCOMPLETE_LAST_LINE}")
    lines = sorted([*read.entries, *((number, None) for number in read.bad)], key=lambda line: line[0], reverse=True)
    for number, entry in lines:
        if entry is None:
            yield Row(f"{log}:{number}", f"error: {NOT_A_LOG_LINE}")
            continue
        path, old, new = Path(entry["path"]), tuple(entry["old"]), tuple(entry["new"])
        try:
            yield Row(str(path), undo_entry(path, old=old, new=new))
        except AudioError as err:
            yield Row(str(path), f"error: {err.problem}")


def undo_entry(path: Path, *, old: tuple[str, ...], new: tuple[str, ...]) -> str:
    """Write `old` back if the genre tag is still `new`; a genre changed since is a conflict, left alone. A link
    now at `path` is followed, as tag follows one: the file it names is restored, and the link stays a link."""
    if (problem := unreadable(path)) is not None:
        raise TaggingError(path, problem)
    real = path.resolve()
    current = stored_genres(real)
    if current == old:
        return "skip: already undone"
    if current != new:
        raise TaggingError(path, f"conflict: the genre is now {show(current)}, the log wrote {show(new)}; "
                                 "left as it is")
    write_genres(real, old=new, new=old, log=None, restoring=True)
    return "restored"


def show(genres: tuple[str, ...]) -> str:
    return "; ".join(genres) or "-"


def render_header(width: int) -> str:
    return f"{'file':<{width}}  {'current':<19}  {'predicted':<14} {'conf':>5}  action"


def render_row(row: Row, *, width: int) -> str:
    # two spaces after the current genres however long: with one, "Rock; Indie" and "pop" read as "Indie pop"
    confidence = "-" if row.confidence is None else percent(row.confidence)
    return (f"{padded(shown_path(row.path), width)}  {padded(shown_text(show(row.current)), 19)}  "
            f"{padded(row.predicted or '-', 14)} {confidence:>5}  {shown_text(row.action)}")


def hard_link_note(rows: list[Row], *, dry_run: bool) -> str | None:
    """The line said after the table when a file written had other names (hard links), else None."""
    linked = [row for row in rows if row.other_links and row.action in ("write", "written")]
    if not linked:
        return None
    shown = ", ".join(f"{shown_path(row.path)} ({row.other_links} other)" for row in linked[:3])
    return (f"{len(linked)} file(s) {'to be written have' if dry_run else 'written had'} other names (hard links): "
            f"{shown}{', ...' if len(linked) > 3 else ''}; a write replaces the file by a checked copy, so each "
            f"{'would become' if dry_run else 'is now'} a file of its own, and its other names keep the old genre "
            f"and bytes")


def summarise(rows: list[Row], *, dry_run: bool) -> str:
    """The closing line: counts of written (or would-be), skipped and failed files."""
    failed = sum(row.failed for row in rows)
    done = sum(row.action in ("write", "written") for row in rows)
    counts = f"{done} {'would be written' if dry_run else 'written'}, {len(rows) - done - failed} skipped"
    counts += f", {failed} failed" if failed else ""
    return f"dry run: {counts}; --write to apply" if dry_run else counts


def summarise_undo(rows: list[Row]) -> str:
    restored = sum(row.action == "restored" for row in rows)
    undone = sum(row.action == "skip: already undone" for row in rows)
    return f"{restored} restored, {undone} already undone, {sum(row.failed for row in rows)} failed"
