import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import mutagen
import mutagen.id3
import numpy as np
import pytest
import soundfile as sf
from mutagen.id3 import Encoding
from typer.testing import CliRunner

from spectrogenre.audio_io import DecodeLimits
from spectrogenre.cli import app
from spectrogenre.errors import SpectrogenreError
from spectrogenre.library import tagging
from spectrogenre.library.tagging import (
    Decision,
    TaggingError,
    decide,
    merged,
    tag_file,
    undo_log,
    write_genres,
)
from spectrogenre.library.tags import describe_mutagen_error, read_tags
from tests.synth import clicks, sine, write_tagged

OTHER = {"title": ["Tone"], "artist": ["Test Artist"], "album": ["Test Album"]}
GENRE_KEYS = {"tcon", "genre", "\xa9gen"}


def needs_ffmpeg(suffix):
    if suffix == ".m4a" and shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")


def write_audio(path, audio, sr):
    """A tiny file of `audio` in the container `path`'s suffix names (m4a through ffmpeg)."""
    needs_ffmpeg(path.suffix)
    if path.suffix == ".m4a":
        wav = path.with_suffix(".wav")
        sf.write(wav, audio, sr)
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac", str(path)], check=True)
        wav.unlink()
    else:
        formats = {".mp3": ("MP3", None), ".flac": ("FLAC", None), ".ogg": ("OGG", "VORBIS"), ".opus": ("OGG", "OPUS"),
                   ".wav": ("WAV", None)}
        sf.write(path, audio, sr, format=formats[path.suffix][0], subtype=formats[path.suffix][1])
    return path


def tagged_file(folder, name, *, genre=None):
    """2 s of 440 Hz (48 kHz for opus, else 44.1 kHz) with title, artist, album and maybe a genre."""
    path = folder / name
    sr = 48000 if path.suffix == ".opus" else 44100
    write_audio(path, sine(2.0, sr=sr), sr)
    audio = mutagen.File(path, easy=True)
    if audio.tags is None:
        audio.add_tags()
    for key, values in {**OTHER, **({"genre": [genre]} if genre else {})}.items():
        audio[key] = values
    audio.save()
    return path


def decoded(path):
    """All samples at the file's own rate (test-side decoder, independent of tagging.sample_blocks)."""
    if path.suffix == ".m4a":
        raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
                             capture_output=True, check=True).stdout
        return np.frombuffer(raw, dtype=np.float32)
    return sf.read(path, dtype="float32", always_2d=True)[0]


def other_tags(path):
    """Every tag but the genre, as mutagen reads it."""
    return {key: repr(value) for key, value in mutagen.File(path).tags.items() if key.lower() not in GENRE_KEYS}


def verdict(genre="Clicks", confidence=0.9, error=None):
    return {"path": "x", "genre": genre, "confidence": confidence, "top": [], "windows": [], "error": error}


def never(path):
    raise AssertionError(f"{path} should not be predicted")


# --- the decision -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("current, row, options, expected", [
    ((), verdict("unsure", 0.3), {}, Decision("skip: unsure")),
    ((), verdict("Clicks", 0.49), {}, Decision("skip: below --min-confidence")),
    ((), verdict("Clicks", 0.5), {}, Decision("write", ("Clicks",))),
    ((), verdict("Clicks", 0.2), {"min_confidence": 0.0}, Decision("write", ("Clicks",))),
    (("Rock",), None, {"only_empty": True}, Decision("skip: has a genre (--only-empty)")),
    ((), verdict("Clicks"), {"only_empty": True}, Decision("write", ("Clicks",))),
    (("Rock", "Pop"), verdict("Clicks"), {}, Decision("write", ("Clicks",))),
    (("Clicks",), verdict("Clicks"), {}, Decision("skip: already Clicks")),
    (("CLICKS",), verdict("Clicks"), {}, Decision("skip: already Clicks")),  # a case-only rewrite says nothing new
    (("Rock",), verdict("Clicks"), {"mode": "append"}, Decision("write", ("Rock", "Clicks"))),
    (("Rock", "clicks"), verdict("Clicks"), {"mode": "append"}, Decision("skip: already Clicks")),
    ((), verdict(None, None, error="too short"), {}, Decision("error: too short")),
])
def test_decide(current, row, options, expected):
    options = {"min_confidence": 0.5, "only_empty": False, "mode": "replace", **options}
    assert decide(current, row, **options) == expected


def test_merged_replaces_or_appends_once_whatever_the_case():
    assert merged(("Rock", "Pop"), "Drone", mode="replace") == ("Drone",)
    assert merged(("drone",), "Drone", mode="replace") == ("drone",)
    assert merged(("drone", "Pop"), "Drone", mode="replace") == ("Drone",)
    assert merged(("Rock", "Pop"), "Drone", mode="append") == ("Rock", "Pop", "Drone")
    assert merged(("Rock", "DRONE"), "Drone", mode="append") == ("Rock", "DRONE")
    assert merged((), "Drone", mode="append") == ("Drone",)
    # two genres in one value, as ID3v2.3 taggers join them: there already
    assert merged(("Rock/Metal",), "Metal", mode="append") == ("Rock/Metal",)
    assert merged(("Rock, metal",), "Metal", mode="append") == ("Rock, metal",)
    assert merged(("Rock/Metal",), "Pop", mode="append") == ("Rock/Metal", "Pop")


# --- writing and undoing ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, genre, new", [
    ("a.mp3", "Rock", ("Rock", "Clicks")),
    ("a.flac", None, ("Clicks",)),
    ("a.ogg", "Ambient", ("Drone",)),
    ("a.opus", None, ("Noise",)),
    ("a.m4a", "Jazz", ("Clicks",)),
])
def test_write_then_undo_keeps_audio_and_other_tags(tmp_path, name, genre, new):
    path = tagged_file(tmp_path, name, genre=genre)
    old = (genre,) if genre else ()
    samples, tags = decoded(path), other_tags(path)
    assert read_tags(path).genres == old
    log = tmp_path / "undo.jsonl"

    write_genres(path, old=old, new=new, log=log)
    assert read_tags(path).genres == new
    assert np.array_equal(decoded(path), samples) and other_tags(path) == tags
    assert {key: mutagen.File(path, easy=True)[key] for key in OTHER} == OTHER
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        {"path": str(path), "old": list(old), "new": list(new)}]

    assert [row.action for row in undo_log(log)] == ["restored"]
    assert read_tags(path).genres == old
    assert np.array_equal(decoded(path), samples) and other_tags(path) == tags
    assert sorted(p.name for p in tmp_path.iterdir()) == [name, "undo.jsonl"]  # no temp file left



def test_tag_reads_and_writes_the_main_block_and_leaves_an_apev2_genre_alone(tmp_path):
    from mutagen.apev2 import APEv2

    path = tagged_file(tmp_path, "a.mp3")  # ID3 without a genre, and an APEv2 block that has one
    ape = APEv2()
    ape["Genre"] = "Pop"
    ape.save(path)
    assert read_tags(path).genres == ("Pop",)  # the library scan reads it
    log = tmp_path / "undo.jsonl"
    row = tag_file(path, lambda p: verdict(confidence=0.8), min_confidence=0.5, only_empty=True, mode="replace",
                   log=log)
    assert (row.current, row.action) == ((), "written")  # tag writes, and reads back, the ID3 genre
    assert (mutagen.File(path)["TCON"].genres, str(APEv2(path)["Genre"])) == (["Clicks"], "Pop")
    assert [row.action for row in undo_log(log)] == ["restored"]
    assert ("TCON" in mutagen.File(path), str(APEv2(path)["Genre"])) == (False, "Pop")


@pytest.mark.parametrize("name", ["a.flac", "a.ogg", "a.opus"])
@pytest.mark.parametrize("comments, written", [
    ([("title", "Tone"), ("genre", "Rock"), ("artist", "A")],  # a tagger's lower-case key, mid-block
     [("title", "Tone"), ("genre", "Clicks"), ("artist", "A")]),
    ([("Genre", "Rock"), ("title", "Tone")], [("Genre", "Clicks"), ("title", "Tone")]),
    ([("title", "Tone")], [("title", "Tone"), ("GENRE", "Clicks")]),  # none: added at the end
])
def test_a_vorbis_genre_is_written_in_place_under_its_key_and_undo_gives_the_file_back_byte_for_byte(
        tmp_path, name, comments, written):
    path = tagged_file(tmp_path, name)
    audio = mutagen.File(path)
    audio.tags.clear()
    audio.tags.extend(comments)
    audio.save()
    before = path.read_bytes()
    old = tuple(value for key, value in comments if key.lower() == "genre")
    log = tmp_path / "undo.jsonl"

    write_genres(path, old=old, new=("Clicks",), log=log)
    assert list(mutagen.File(path).tags) == written
    assert [row.action for row in undo_log(log)] == ["restored"]
    assert path.read_bytes() == before


@pytest.mark.parametrize("version", [3, 4])
def test_an_id3_tag_keeps_its_version_and_frames_through_a_write_and_its_undo(tmp_path, version):
    path = write_audio(tmp_path / "old.mp3", sine(2.0, sr=44100), 44100)
    tags = mutagen.id3.ID3()
    tags.add(mutagen.id3.TIT2(encoding=1, text=["Tone"]))
    year = mutagen.id3.TYER if version == 3 else mutagen.id3.TDRC  # the year's frame in each version
    tags.add(year(encoding=1, text=["1999"]))
    tags.add(mutagen.id3.TCON(encoding=1, text=["(17)"]))  # ID3v1 code 17: Rock
    tags.save(path, v2_version=version)
    before = other_tags(path)
    assert read_tags(path).genres == ("Rock",)
    log = tmp_path / "undo.jsonl"
    write_genres(path, old=("Rock",), new=("Drone", "Jazz"), log=log)
    assert mutagen.id3.ID3(path).version == (2, version, 0)
    assert read_tags(path).genres == ("Drone", "Jazz") and other_tags(path) == before
    if version == 3:  # the year is still its v2.3 frame; the genres are null-separated (a v2.3 reader shows the first)
        frames = mutagen.id3.ID3(path, translate=False)
        assert sorted(frames.keys()) == ["TCON", "TIT2", "TYER"] and frames["TCON"].text == ["Drone", "Jazz"]
    assert [row.action for row in undo_log(log)] == ["restored"]
    assert mutagen.id3.ID3(path).version == (2, version, 0)
    assert read_tags(path).genres == ("Rock",) and other_tags(path) == before


def id3v1(title: str, album: str, comment: str, genre: int) -> bytes:
    """An ID3v1.1 tag by hand: 'TAG', title, artist, album (30 bytes each), year (4), comment (28), 0, track, genre."""
    field = lambda text, size: text.encode("latin-1").ljust(size, b"\0")
    return b"TAG" + field(title, 30) + field("", 30) + field(album, 30) + b"1999" + field(comment, 28) + b"\0\7" + \
        bytes([genre])


@pytest.mark.parametrize("version", [None, 3, 4], ids=["v1 alone", "v2.3", "v2.4"])
def test_an_id3v1_tag_is_kept_byte_for_byte_and_not_copied_into_the_v2_tag(tmp_path, version):
    """mutagen copied an ID3v1 tag's album, year and comment into the v2 tag it saved and made the v1 tag again
    from the v2 frames (its title the v2's, its comment and genre lost), and an undo gave back neither."""
    path = write_audio(tmp_path / "old.mp3", sine(2.0, sr=44100), 44100)
    mutagen.id3.delete(path)
    if version is not None:
        tags = mutagen.id3.ID3()
        tags.add(mutagen.id3.TIT2(encoding=1, text=["Title in v2"]))
        tags.add(mutagen.id3.TCON(encoding=1, text=["Jazz"]))
        tags.save(path, v2_version=version, v1=0)
    tail = id3v1("Title in v1", "Album in v1", "Ripped by me", 17)  # 17: Rock
    path.write_bytes(path.read_bytes() + tail)
    v2_frames = lambda: sorted(mutagen.id3.ID3(path, load_v1=False, translate=False).keys())
    before = v2_frames() if version else []
    log = tmp_path / "undo.jsonl"
    row = tag_file(path, lambda p: verdict(), min_confidence=0.5, only_empty=False, mode="replace", log=log)
    assert (row.current, row.action) == (("Jazz",) if version else ("Rock",), "written")
    assert path.read_bytes()[-128:] == tail
    if version:  # nothing of the v1 tag's in the v2 one
        assert v2_frames() == before and mutagen.id3.ID3(path, load_v1=False)["TCON"].text == ["Clicks"]
    else:  # a new v2 tag holds the v1 tag's fields, as players showed them, and the genre
        frames = mutagen.id3.ID3(path, load_v1=False)
        assert (frames["TIT2"].text, frames["TALB"].text, frames["TCON"].text) == (
            ["Title in v1"], ["Album in v1"], ["Clicks"])
    assert [row.action for row in undo_log(log)] == ["restored"]
    assert path.read_bytes()[-128:] == tail
    assert read_tags(path).genres == (("Jazz",) if version else ("Rock",))
    if version:
        assert v2_frames() == before


def test_a_files_access_list_and_extended_attributes_are_kept_through_a_write_and_its_undo(tmp_path):
    """The copy that replaced the file had none of them: a media server's account that an access list let read the
    file lost it, and a desktop's tags were gone."""
    import struct

    path = tagged_file(tmp_path, "song.flac", genre="Pop")
    path.chmod(0o640)
    # a POSIX access list as the kernel stores it (what `setfacl -m u:1000:r` makes): owner rw, user 1000 r,
    # group -, mask r, others -
    entries = [(0x01, 6, 0xFFFFFFFF), (0x02, 4, 1000), (0x04, 0, 0xFFFFFFFF), (0x10, 4, 0xFFFFFFFF),
               (0x20, 0, 0xFFFFFFFF)]
    acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries)
    try:
        os.setxattr(path, "user.xdg.tags", b"favourite")
        os.setxattr(path, "system.posix_acl_access", acl)
    except OSError as err:
        pytest.skip(f"this file system keeps no extended attributes or access lists ({err.strerror})")
    before = {name: os.getxattr(path, name) for name in os.listxattr(path)}
    mode = path.stat().st_mode
    log = tmp_path / "undo.jsonl"
    write_genres(path, old=("Pop",), new=("Drone",), log=log)
    assert read_tags(path).genres == ("Drone",)
    assert {name: os.getxattr(path, name) for name in os.listxattr(path)} == before and path.stat().st_mode == mode
    assert [row.action for row in undo_log(log)] == ["restored"]
    assert {name: os.getxattr(path, name) for name in os.listxattr(path)} == before and path.stat().st_mode == mode


@pytest.mark.parametrize("new, written_in", [(("Électro",), Encoding.LATIN1), (("Электро",), Encoding.UTF16)])
def test_a_latin_1_genre_frame_stays_latin_1_where_the_genre_fits_it_and_comes_back_so(tmp_path, new, written_in):
    # what most MP3s carry (emotify-dev: all 200): an ID3v2.3 TCON in Latin-1, which a write and its undo turned
    # into UTF-16
    path = write_audio(tmp_path / "old.mp3", sine(2.0, sr=44100), 44100)
    tags = mutagen.id3.ID3()
    tags.add(mutagen.id3.TCON(encoding=Encoding.LATIN1, text=["Alternative Rock"]))
    tags.save(path, v2_version=3)
    log = tmp_path / "undo.jsonl"
    write_genres(path, old=("Alternative Rock",), new=new, log=log)
    frame = mutagen.id3.ID3(path, translate=False)["TCON"]
    assert (frame.text, frame.encoding) == ([new[0]], written_in)  # v2.3 has no UTF-8: mutagen saves it as UTF-16
    assert [row.action for row in undo_log(log)] == ["restored"]
    frame = mutagen.id3.ID3(path, translate=False)["TCON"]
    assert (frame.text, frame.encoding) == (["Alternative Rock"], written_in)


@pytest.mark.parametrize("name, id3v23, stored", [
    # ffmpeg shows one value of an ID3 frame (v2.3 has no separator of its own; v2.4's nulls) and of an MP4's
    # ©gen: joined in one
    ("v23.mp3", True, ("Jazz; Blues; Clicks",)),
    ("v24.mp3", False, ("Jazz; Blues; Clicks",)),
    ("a.m4a", False, ("Jazz; Blues; Clicks",)),
    # a Vorbis comment's several GENRE fields are read whole: the value there is kept as it is, the genre beside it
    ("a.flac", False, ("Jazz; Blues", "Clicks")),
    ("a.ogg", False, ("Jazz; Blues", "Clicks")),
])
def test_append_adds_the_genre_where_players_show_it_and_undo_gives_the_value_back(tmp_path, name, id3v23, stored):
    path = tagged_file(tmp_path, name, genre="Jazz; Blues")  # one value, as a user typed it
    if id3v23:
        mutagen.id3.ID3(path).save(v2_version=3)
    log = tmp_path / "undo.jsonl"
    row = tag_file(path, lambda p: verdict(), min_confidence=0.5, only_empty=False, mode="append", log=log)
    assert (row.current, row.action) == (("Jazz", "Blues"), "written")
    assert tagging.stored_genres(path) == stored
    assert read_tags(path).genres == ("Jazz", "Blues", "Clicks")
    shown = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format_tags:stream_tags", "-of",
                                       "json", str(path)], capture_output=True, text=True, check=True).stdout)
    tags = shown["format"].get("tags") or shown["streams"][0]["tags"]  # Ogg: the stream's
    genre = {key.lower(): value for key, value in tags.items()}["genre"]
    assert "Clicks" in genre  # what ffmpeg-based players show holds the genre written
    assert [row.action for row in undo_log(log)] == ["restored"]
    assert tagging.stored_genres(path) == ("Jazz; Blues",)


def test_undo_leaves_a_genre_changed_since_and_skips_what_is_undone(tmp_path):
    changed, kept = tagged_file(tmp_path, "changed.flac"), tagged_file(tmp_path, "kept.flac", genre="Rock")
    log = tmp_path / "undo.jsonl"
    write_genres(changed, old=(), new=("Clicks",), log=log)
    write_genres(kept, old=("Rock",), new=("Drone",), log=log)
    tagging.set_genres(changed, ("Jazz",))  # the user retagged it since
    before = changed.read_bytes()
    rows = list(undo_log(log))
    assert [(row.path, row.action) for row in rows] == [
        (str(kept), "restored"),
        (str(changed), "error: conflict: the genre is now Jazz, the log wrote Clicks; left as it is")]
    assert changed.read_bytes() == before and read_tags(kept).genres == ("Rock",)
    assert [row.action for row in undo_log(log)] == ["skip: already undone", rows[1].action]


def test_undo_through_a_link_now_at_the_logged_name_restores_the_file_it_names_and_keeps_the_link(tmp_path):
    # the file moved since, and a link left in its place: the undo replaced the link by a file of its own, and the
    # moved file kept the written genre
    song = tagged_file(tmp_path, "song.flac", genre="Rock")
    log = tmp_path / "undo.jsonl"
    write_genres(song, old=("Rock",), new=("Drone",), log=log)
    moved = tmp_path / "moved.flac"
    song.rename(moved)
    song.symlink_to(moved.name)
    assert [row.action for row in undo_log(log)] == ["restored"]
    assert song.is_symlink() and os.readlink(song) == "moved.flac"
    assert read_tags(moved).genres == ("Rock",)


def test_a_last_line_that_parses_but_is_no_entry_is_an_error_not_a_cut_line(tmp_path):
    log = tmp_path / "undo.jsonl"
    log.write_text('{"path": "/x.mp3", "old": [], "new": ["Rock"]}\n{"path": "/y.mp3"}\n')
    assert [(row.path, row.action) for row in undo_log(log)] == [
        (f"{log}:2", "error: not an undo log line (want path, old, new): its write, if it was made, is not undone"),
        ("/x.mp3", "error: no such file")]


def test_a_symlink_tags_its_target_and_stays_a_link(tmp_path):
    target = tagged_file(tmp_path, "real.flac")
    link = tmp_path / "link.flac"
    link.symlink_to(target)
    log = tmp_path / "undo.jsonl"
    row = tag_file(link, lambda path: verdict(), min_confidence=0.5, only_empty=False, mode="replace", log=log)
    assert (row.path, row.action, row.predicted) == (str(link), "written", "Clicks")
    assert link.is_symlink() and read_tags(target).genres == ("Clicks",)
    assert json.loads(log.read_text())["path"] == str(target)


def test_the_written_file_keeps_its_owner_group_and_mode(tmp_path):
    path = tagged_file(tmp_path, "a.mp3")
    os.chown(path, 65534, 65534)  # nobody's file, tagged by root (CI runs as root)
    path.chmod(0o640)
    write_genres(path, old=(), new=("Clicks",), log=None)
    status = path.stat()
    assert (status.st_uid, status.st_gid, status.st_mode & 0o777) == (65534, 65534, 0o640)
    assert read_tags(path).genres == ("Clicks",)


def test_a_dry_run_changes_nothing(tmp_path):
    path = tagged_file(tmp_path, "a.ogg", genre="Rock")
    before = path.read_bytes()
    row = tag_file(path, lambda p: verdict(confidence=0.8), min_confidence=0.5, only_empty=False, mode="append",
                   log=None)
    assert (row.current, row.predicted, row.confidence, row.action) == (("Rock",), "Clicks", 0.8, "write")
    assert path.read_bytes() == before


def test_only_empty_skips_a_tagged_file_without_predicting(tmp_path):
    path = tagged_file(tmp_path, "a.flac", genre="Rock")
    row = tag_file(path, never, min_confidence=0.5, only_empty=True, mode="replace", log=tmp_path / "undo.jsonl")
    assert (row.current, row.predicted, row.action) == (("Rock",), None, "skip: has a genre (--only-empty)")


@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_a_read_only_file_is_reported_and_untouched(tmp_path, read_only):
    path = tagged_file(tmp_path, "a.mp3")
    before = path.read_bytes()
    locked = path if read_only == "file" else tmp_path
    mode = locked.stat().st_mode
    locked.chmod(mode & ~0o222)
    try:
        row = tag_file(path, lambda p: verdict(), min_confidence=0.5, only_empty=False, mode="replace",
                       log=tmp_path / "undo.jsonl")
    finally:
        locked.chmod(mode)
    what = "the file" if read_only == "file" else "its folder"
    assert row.action == f"error: read-only: {what} is not writable" and row.failed
    assert path.read_bytes() == before and not (tmp_path / "undo.jsonl").exists()


def test_a_wav_is_unsupported_and_untouched(tmp_path):
    path = write_audio(tmp_path / "a.wav", sine(1.0, sr=44100), 44100)
    before = path.read_bytes()
    row = tag_file(path, never, min_confidence=0.5, only_empty=False, mode="replace", log=tmp_path / "undo.jsonl")
    assert row.action == ("error: writing genre tags to .wav files is not supported (only to flac, m4a, mp3, mp4, oga, "
                          "ogg, opus)")
    assert path.read_bytes() == before


def test_a_failed_check_leaves_the_original_and_no_temp_file(tmp_path, monkeypatch):
    path = tagged_file(tmp_path, "a.flac", genre="Rock")
    before = path.read_bytes()
    monkeypatch.setattr(tagging, "same_samples", lambda a, b: False)
    log = tmp_path / "undo.jsonl"
    with pytest.raises(TaggingError, match="decodes to different audio; file left as it was"):
        write_genres(path, old=("Rock",), new=("Clicks",), log=log)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.flac"]  # no temp file, and nothing logged


def test_a_genre_that_would_not_read_back_is_not_written(tmp_path):
    path = tagged_file(tmp_path, "a.mp3")
    before = path.read_bytes()
    with pytest.raises(TaggingError, match=r"the genre reads back as \['Drum', 'Bass'\], not \['Drum; Bass'\];"):
        write_genres(path, old=(), new=("Drum; Bass",), log=None)  # read_tags splits "; ": two genres
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["a.mp3"]


def test_a_file_mutagen_cannot_tag_is_named_by_its_own_path_and_left_as_it_was(tmp_path):
    # the error came from the temporary copy, so it named that copy (deleted by then), not the user's file
    path = tmp_path / "notes.xyz"
    path.write_bytes(b"no audio format starts like this" * 10)
    with pytest.raises(TaggingError) as err:
        write_genres(path, old=(), new=("Clicks",), log=None)
    assert str(err.value) == f"{path}: cannot write the genre tag (not a file mutagen can tag); file left as it was"
    assert path.read_bytes() == b"no audio format starts like this" * 10
    assert [p.name for p in tmp_path.iterdir()] == ["notes.xyz"]


def test_a_file_in_the_temp_files_place_is_left_alone(tmp_path):
    path = tagged_file(tmp_path, "a.flac")
    before = path.read_bytes()
    (tmp_path / ".spectrogenre-tag.a.flac").write_bytes(b"someone else's")
    with pytest.raises(TaggingError, match=r"\.spectrogenre-tag\.a\.flac is in the way"):
        write_genres(path, old=(), new=("Clicks",), log=None)
    assert path.read_bytes() == before
    assert (tmp_path / ".spectrogenre-tag.a.flac").read_bytes() == b"someone else's"


@pytest.mark.parametrize("suffix", [".flac", ".m4a"])
def test_same_samples_tells_a_copy_from_other_audio(tmp_path, suffix):
    a = write_audio(tmp_path / f"a{suffix}", sine(2.0, sr=44100), 44100)
    b = write_audio(tmp_path / f"b{suffix}", sine(2.0, freq=441.0, sr=44100), 44100)
    copy = tmp_path / f"copy{suffix}"
    shutil.copyfile(a, copy)
    assert tagging.same_samples(a, copy)
    assert not tagging.same_samples(a, b)


def test_an_untagged_mp3_without_a_frame_count_is_written_and_checked_by_its_samples(tmp_path):
    # its length is estimated from its size, which the new tag changes: the check reads the samples to the end
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    wav = write_audio(tmp_path / "a.wav", sine(10.0, sr=44100), 44100)
    path = tmp_path / "a.mp3"
    for quality in (["-b:a", "192k"], ["-q:a", "2"]):  # CBR, and VBR: the estimate is off either way
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "libmp3lame", *quality,
                        "-write_xing", "0", "-id3v2_version", "0", str(path)], check=True)
        samples = ffmpeg_decoded(path)  # to its end (libsndfile stops at its estimate)
        write_genres(path, old=(), new=("Clicks",), log=tmp_path / "undo.jsonl")
        assert read_tags(path).genres == ("Clicks",)
        assert np.array_equal(ffmpeg_decoded(path), samples) and abs(len(samples) - 10.0 * 44100) < 44100 * 0.1


def ffmpeg_decoded(path):
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


# --- the command --------------------------------------------------------------------------------------------------

def test_tag_command_dry_run_write_and_undo(tiny_project, tmp_path, monkeypatch):
    runner = CliRunner()
    path = write_audio(tmp_path / "clicks.mp3", clicks(8.0, sr=16000), 16000)
    before = path.read_bytes()
    monkeypatch.chdir(tmp_path)
    tag = ["tag", str(path), "--model", str(tiny_project / "data/export"), "--min-confidence", "0"]

    dry = runner.invoke(app, tag)
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines()[1].startswith(str(path)) and dry.stdout.splitlines()[1].endswith("  write")
    assert dry.stderr.strip() == "dry run: 1 would be written, 0 skipped; --write to apply"
    assert path.read_bytes() == before and not list(tmp_path.glob("*.jsonl"))

    written = runner.invoke(app, [*tag, "--write"])
    assert written.exit_code == 0, written.output
    assert written.stderr.splitlines()[-1] == "1 written, 0 skipped"
    [log] = tmp_path.glob("spectrogenre-tag-*.jsonl")
    assert json.loads(log.read_text()) == {"path": str(path), "old": [], "new": ["Clicks"]}
    assert read_tags(path).genres == ("Clicks",)

    undone = runner.invoke(app, ["tag", "--undo", str(log)])
    assert undone.exit_code == 0, undone.output
    assert undone.stdout == f"{path}  restored\n"
    assert read_tags(path).genres == ()
    assert set(os.listdir(tmp_path)) == {"clicks.mp3", log.name}


@pytest.mark.usefixtures("ctrl_c_reaches_python")  # as in a terminal, wherever the tests run
def test_a_ctrl_c_stops_tag_saying_what_was_written_and_where_its_undo_log_is(tiny_project, tmp_path, monkeypatch):
    """soundfile reads through cffi callbacks, which print and drop a KeyboardInterrupt raised inside them: the
    file being read failed as undecodable and the run went on; Ctrl-C then ended it with click's bare "Aborted!",
    not saying what was written or where the undo log is."""
    import signal

    songs = [write_audio(tmp_path / f"{name}.mp3", clicks(8.0, sr=16000), 16000) for name in "abc"]
    before = [song.read_bytes() for song in songs]
    real_tag_file = tagging.tag_file

    def ctrl_c_inside_a_callback_on_the_second(path, predict, **options):
        if path != songs[1]:
            return real_tag_file(path, predict, **options)
        try:  # as cffi does: the handler's KeyboardInterrupt is caught inside the callback and dropped
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            pass
        return tagging.Row(str(path), "error: cannot be decoded")

    monkeypatch.setattr(tagging, "tag_file", ctrl_c_inside_a_callback_on_the_second)
    log = tmp_path / "undo.jsonl"
    result = CliRunner().invoke(app, ["tag", *map(str, songs), "--model", str(tiny_project / "data/export"),
                                      "--min-confidence", "0", "--write", "--log", str(log)])
    assert result.exit_code == 130
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == [str(songs[0])]
    assert result.stderr.splitlines()[-1] == (f"interrupted: 1 file(s) done; 1 written, the others not tagged; undo "
                                              f"log: {log} (spectrogenre tag --undo {log})")
    assert read_tags(songs[0]).genres == ("Clicks",)
    assert [song.read_bytes() for song in songs[1:]] == before[1:]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back after the run


@pytest.mark.usefixtures("ctrl_c_reaches_python")
def test_a_write_a_ctrl_c_could_not_stop_is_reported_and_counted(tiny_project, tmp_path, monkeypatch):
    """A Ctrl-C that a decoder's callback swallowed while a file was being checked let its write finish; the run
    then stopped without its row, saying one file fewer was written than was."""
    import signal

    songs = [write_audio(tmp_path / f"{name}.mp3", clicks(8.0, sr=16000), 16000) for name in "abc"]
    last = songs[2].read_bytes()
    real_tag_file = tagging.tag_file

    def ctrl_c_swallowed_then_written(path, predict, **options):
        if path == songs[1]:
            try:  # as cffi does inside a callback: the handler's KeyboardInterrupt is dropped, the event stays set
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass
            return real_tag_file(path, lambda real: predict(real, limits=DecodeLimits()), **options)
        return real_tag_file(path, predict, **options)

    monkeypatch.setattr(tagging, "tag_file", ctrl_c_swallowed_then_written)
    log = tmp_path / "undo.jsonl"
    result = CliRunner().invoke(app, ["tag", *map(str, songs), "--model", str(tiny_project / "data/export"),
                                      "--min-confidence", "0", "--write", "--log", str(log)])
    assert result.exit_code == 130
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == [str(songs[0]), str(songs[1])]
    assert result.stderr.splitlines()[-1] == (f"interrupted: 2 file(s) done; 2 written, the others not tagged; undo "
                                              f"log: {log} (spectrogenre tag --undo {log})")
    assert [read_tags(song).genres for song in songs[:2]] == [("Clicks",), ("Clicks",)]
    assert songs[2].read_bytes() == last


@pytest.mark.parametrize(("unsure_below", "action"), [(0.0, "write"), (1.0, "skip: below --min-confidence")])
def test_tag_writes_only_what_predict_would_not_call_unsure(tiny_project, tmp_path, unsure_below, action):
    export = tmp_path / "export"
    shutil.copytree(tiny_project / "data/export", export)
    spec = json.loads((export / "spec.json").read_text())
    (export / "spec.json").write_text(json.dumps(spec | {"verdict": spec["verdict"] | {"unsure_below": unsure_below}}))
    path = write_audio(tmp_path / "clicks.mp3", clicks(8.0, sr=16000), 16000)
    dry = CliRunner().invoke(app, ["tag", str(path), "--model", str(export)])  # no --min-confidence: the export's
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines()[1].endswith(f"  {action}")


def test_an_audio_file_given_as_the_undo_log_is_one_clear_error(tmp_path):
    song = write_audio(tmp_path / "song.flac", sine(1.0, sr=44100), 44100)
    with pytest.raises(SpectrogenreError, match=r"song\.flac is not an undo log \(it is not text"):
        list(undo_log(song))


# --- odd entries, leftovers and logs cut short --------------------------------------------------------------------

@pytest.fixture
def every_file_clicks(monkeypatch):
    """tag's model replaced by one that calls every file Clicks at 90 %: the command's own handling is tested, with
    no export to train."""
    from types import SimpleNamespace

    from spectrogenre import inference, prediction

    monkeypatch.setattr(inference.ExportedModel, "load", lambda path: SimpleNamespace(unsure_below=0.5))
    monkeypatch.setattr(prediction, "predict_file", lambda path, exported, **options: {**verdict(), "path": str(path)})


def actions(output):
    """{file name: action} from tag's table (its first line is the header)."""
    return {line.split()[0].rsplit("/", 1)[-1]: line.rsplit("  ", 1)[-1] for line in output.splitlines()[1:]}


def test_a_symlink_loop_is_reported_and_every_other_file_tagged(tmp_path, every_file_clicks):
    folder = tmp_path / "music"
    ok = write_tagged(folder / "ok.mp3")
    (folder / "a.flac").symlink_to("b.flac")
    (folder / "b.flac").symlink_to("a.flac")
    log = tmp_path / "undo.jsonl"
    result = CliRunner().invoke(app, ["tag", str(folder), "--write", "--log", str(log)])
    assert result.exit_code == 1, result.output  # the documented status when any file could not be tagged
    assert actions(result.stdout) == {"a.flac": "error: cannot be read: Too many levels of symbolic links",
                                      "b.flac": "error: cannot be read: Too many levels of symbolic links",
                                      "ok.mp3": "written"}
    assert read_tags(ok).genres == ("Clicks",)
    assert result.stderr.splitlines()[-1] == "1 written, 0 skipped, 2 failed"


@pytest.mark.parametrize("kind", ["song", "notes", "folder"])
def test_a_log_that_is_not_an_undo_log_is_refused_before_anything_is_written(tmp_path, every_file_clicks, kind):
    # the log is appended to: `--log other.m4a` by mistake would append JSON to a song, `--log notes.txt` to notes
    song = write_tagged(tmp_path / "music" / "ok.mp3")
    before = song.read_bytes()
    log = {"song": lambda: write_audio(tmp_path / "other.flac", sine(1.0, sr=44100), 44100),
           "notes": lambda: (tmp_path / "notes.txt").write_text("shopping\n") and tmp_path / "notes.txt",
           "folder": lambda: tmp_path}[kind]()
    kept = None if log.is_dir() else log.read_bytes()
    result = CliRunner().invoke(app, ["tag", str(song), "--write", "--log", str(log)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: --log {log} ") and "name a new file" in result.stderr, result.stderr
    assert result.stdout == ""  # refused before the table starts
    assert song.read_bytes() == before and (kept is None or log.read_bytes() == kept)


@pytest.mark.parametrize("where", ["missing folder", "file as folder"])
def test_an_undo_log_that_cannot_be_written_is_refused_before_anything_is_classified(tmp_path, every_file_clicks,
                                                                                     where):
    song = write_tagged(tmp_path / "music" / "ok.mp3")
    before = song.read_bytes()
    (tmp_path / "notes.txt").write_text("shopping\n")
    log = {"missing folder": tmp_path / "no such folder" / "undo.jsonl",
           "file as folder": tmp_path / "notes.txt" / "undo.jsonl"}[where]
    result = CliRunner().invoke(app, ["tag", str(song), "--write", "--log", str(log)])
    assert result.exit_code == 1, result.output
    what = {"missing folder": "does not exist", "file as folder": "is not a folder"}[where]
    assert result.stderr == f"error: cannot write the undo log {log}: its folder {log.parent} {what}; name another " \
                            f"with --log\n"
    assert result.stdout == ""  # said before the table starts, so before any file is classified
    assert song.read_bytes() == before and not log.exists()


def test_a_hard_linked_file_is_written_as_a_file_of_its_own_and_said_so(tmp_path, every_file_clicks):
    # a torrent's or backup's copy hard-linked into the library: the write replaces the library's name by a checked
    # copy, so the other name keeps its bytes, and the user is told the two are now two files
    song = write_tagged(tmp_path / "music" / "linked.mp3")
    seeded = tmp_path / "seeding" / "linked.mp3"
    seeded.parent.mkdir()
    os.link(song, seeded)
    before = seeded.read_bytes()
    note = ("1 file(s) {} other names (hard links): {} (1 other); a write replaces the file by a checked copy, so "
            "each {} a file of its own, and its other names keep the old genre and bytes")
    dry = CliRunner().invoke(app, ["tag", str(song.parent)])
    assert dry.exit_code == 0, dry.output
    assert note.format("to be written have", song, "would become") in dry.stderr.splitlines()
    result = CliRunner().invoke(app, ["tag", str(song.parent), "--write", "--log", str(tmp_path / "undo.jsonl")])
    assert result.exit_code == 0, result.output
    assert actions(result.stdout) == {"linked.mp3": "written"}
    assert note.format("written had", song, "is now") in result.stderr.splitlines()
    assert read_tags(song).genres == ("Clicks",) and seeded.read_bytes() == before
    assert song.stat().st_nlink == 1 and seeded.stat().st_nlink == 1
    again = CliRunner().invoke(app, ["tag", str(seeded.parent), "--write", "--log", str(tmp_path / "undo.jsonl")])
    assert "hard links" not in again.stderr  # a file with one name: nothing to say


def test_flac_in_ogg_is_checked_written_and_undone(tmp_path, every_file_clicks):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    wav, song = tmp_path / "tone.wav", tmp_path / "music" / "tone.oga"
    song.parent.mkdir()
    sf.write(wav, sine(2.0, sr=44100), 44100)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "flac", "-f", "ogg",
                    "-metadata", "genre=Rock", "-metadata", "title=Tone", str(song)], check=True)
    assert type(mutagen.File(song)).__name__ == "OggFLAC"
    log = tmp_path / "undo.jsonl"
    result = CliRunner().invoke(app, ["tag", str(song), "--write", "--log", str(log)])
    assert result.exit_code == 0, result.output
    assert actions(result.stdout) == {"tone.oga": "written"}
    assert read_tags(song).genres == ("Clicks",) and mutagen.File(song).tags["title"] == ["Tone"]
    assert CliRunner().invoke(app, ["tag", "--undo", str(log)]).exit_code == 0
    assert read_tags(song).genres == ("Rock",)


def test_a_log_of_an_earlier_run_is_appended_to(tmp_path, every_file_clicks):
    first, second = write_tagged(tmp_path / "a.mp3"), write_tagged(tmp_path / "b.mp3")
    log = tmp_path / "undo.jsonl"
    for song in (first, second):
        assert CliRunner().invoke(app, ["tag", str(song), "--write", "--log", str(log)]).exit_code == 0
    assert [json.loads(line)["path"] for line in log.read_text().splitlines()] == [str(first), str(second)]


def test_odd_entries_are_named_as_predict_names_them(tmp_path):
    from spectrogenre.prediction import predict_file

    (tmp_path / "broken.mp3").symlink_to("gone.mp3")
    os.mkfifo(tmp_path / "pipe.flac")
    (tmp_path / "zero.mp3").symlink_to("/dev/zero")
    (tmp_path / "d.mp3").mkdir()
    expected = {"broken.mp3": "broken symbolic link: it points to gone.mp3, which does not exist",
                "pipe.flac": "is a named pipe (FIFO), not a file: not read",
                "zero.mp3": "is a device, not a file: not read",
                "d.mp3": "is a folder, not an audio file"}
    for name, problem in expected.items():
        row = tag_file(tmp_path / name, never, min_confidence=0.5, only_empty=False, mode="replace",
                       log=tmp_path / "undo.jsonl")
        assert row.action == f"error: {problem}"
        # predict's own words (it stops at the same check, before the model is used)
        assert predict_file(tmp_path / name, None, hop_seconds=None, threshold=None, top_k=1)["error"] == problem
    assert not (tmp_path / "undo.jsonl").exists()


def test_files_that_are_not_audio_are_counted_as_predict_counts_them(tmp_path, every_file_clicks):
    write_tagged(tmp_path / "ok.flac")
    for name in ("cover.jpg", "back.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    result = CliRunner().invoke(app, ["tag", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert actions(result.stdout) == {"ok.flac": "write"}
    assert result.stderr.splitlines() == ["passed over 3 file(s) that are not audio (.jpg: 2, .txt: 1)",
                                          "dry run: 1 would be written, 0 skipped; --write to apply"]


def test_a_temporary_copy_left_by_a_killed_run_is_reported_never_tagged_nor_deleted(tmp_path, every_file_clicks):
    song = write_tagged(tmp_path / "song.mp3")
    other = write_tagged(tmp_path / "other.flac")
    leftover = tmp_path / ".spectrogenre-tag.song.mp3"  # as a run killed while writing song.mp3 leaves it
    shutil.copyfile(song, leftover)
    before = leftover.read_bytes()
    result = CliRunner().invoke(app, ["tag", str(tmp_path), "--write", "--log", str(tmp_path / "undo.jsonl")])
    assert result.stderr.splitlines()[0] == (
        f"{leftover}: spectrogenre tag's own temporary copy, left by a run stopped while writing: safe to delete "
        "unless a tag run is working in this folder now")
    assert actions(result.stdout) == {
        "other.flac": "written",
        "song.mp3": f"error: {leftover} is in the way (left by a stopped run?): delete it and try again"}
    assert result.exit_code == 1
    assert leftover.read_bytes() == before and read_tags(other).genres == ("Clicks",)
    # named on its own, it is still not tagged as music
    row = tag_file(leftover, never, min_confidence=0.5, only_empty=False, mode="replace", log=None)
    assert row.action == ("error: spectrogenre tag's own temporary copy, left by a run stopped while writing: safe to "
                          "delete unless a tag run is working in this folder now")
    assert leftover.read_bytes() == before


def test_a_folder_holding_only_a_leftover_copy_names_it(tmp_path):
    leftover = write_tagged(tmp_path / ".spectrogenre-tag.song.mp3")  # the song itself was moved away since
    before = leftover.read_bytes()
    result = CliRunner().invoke(app, ["tag", str(tmp_path), "--write", "--log", str(tmp_path / "undo.jsonl")])
    assert result.stderr.splitlines()[0] == (
        f"{leftover}: spectrogenre tag's own temporary copy, left by a run stopped while writing: safe to delete "
        "unless a tag run is working in this folder now")
    assert result.stderr.splitlines()[-1] == f"error: no audio files found in {tmp_path}"
    assert result.exit_code == 1 and leftover.read_bytes() == before


def test_a_file_that_is_not_what_its_name_says_is_named_in_the_decoders_words(tmp_path):
    from spectrogenre.audio_io import read_mono
    from spectrogenre.errors import AudioError

    def decoding(path):  # predict's row for a file: its decoder's words where it cannot be decoded
        try:
            read_mono(path, sample_rate=8000)
        except AudioError as err:
            return verdict(genre=None, confidence=None, error=err.problem)
        return verdict()

    (tmp_path / "empty.mp3").write_bytes(b"")
    (tmp_path / "notes.mp3").write_text("a shopping list, not a song\n" * 40)
    shutil.copyfile(write_tagged(tmp_path / "song.mp3"), tmp_path / "misnamed.flac")
    rows = {name: tag_file(tmp_path / name, decoding, min_confidence=0.5, only_empty=False, mode="replace",
                           log=None).action for name in ("empty.mp3", "notes.mp3", "misnamed.flac")}
    assert rows["empty.mp3"] == "error: is empty (0 bytes)"
    assert rows["notes.mp3"] == "error: " + decoding(tmp_path / "notes.mp3")["error"]
    assert "tags cannot be read" not in rows["notes.mp3"]
    # it decodes (predict classifies it), but its tags are not where its name says: no path inside the message
    assert rows["misnamed.flac"] == "error: tags cannot be read (not a valid FLAC file)"


def test_the_tables_names_are_padded_up_to_60_columns_as_predicts(tmp_path, monkeypatch, every_file_clicks):
    monkeypatch.chdir(tmp_path)
    write_tagged(tmp_path / "a.mp3")
    write_tagged(tmp_path / ("x" * 150 + ".mp3"))
    result = CliRunner().invoke(app, ["tag", "a.mp3", "x" * 150 + ".mp3"])
    header, *rows = result.stdout.splitlines()
    assert header.startswith("file" + " " * 56 + "  current")
    rest = "  -                    Clicks           90%  write"
    assert rows == ["a.mp3" + " " * 55 + rest, "x" * 150 + ".mp3" + rest]


def test_the_tables_columns_line_up_on_screen_for_names_and_genres_in_wide_characters(tmp_path, monkeypatch,
                                                                                       every_file_clicks):
    from rich.cells import cell_len

    monkeypatch.chdir(tmp_path)
    write_tagged(tmp_path / "a.mp3")
    write_tagged(tmp_path / "日本語.mp3", genre="ロック")  # each character two columns wide on a terminal
    header, *rows = CliRunner().invoke(app, ["tag", "a.mp3", "日本語.mp3"]).stdout.splitlines()
    # the predicted genre starts in the same screen column on every line (the header's "predicted")
    starts = {cell_len(line[:line.index(word)]) for line, word in zip([header, *rows], ["predicted", "Clicks",
                                                                                        "Clicks"])}
    assert starts == {cell_len("日本語.mp3") + 2 + 19 + 2}


def test_a_genre_tag_holding_control_characters_is_shown_escaped(tmp_path, monkeypatch, every_file_clicks):
    # a tag is anyone's text: an escape sequence in it would clear or recolour the terminal, a newline split the row
    monkeypatch.chdir(tmp_path)
    write_tagged(tmp_path / "a.mp3", genre="Rock\x1b[2J")
    _header, row = CliRunner().invoke(app, ["tag", "a.mp3"]).stdout.splitlines()
    assert row == "a.mp3  " + "Rock\\x1b[2J".ljust(19) + "  Clicks           90%  write"


def test_a_long_current_genre_stays_apart_from_the_predicted_one(tmp_path, monkeypatch, every_file_clicks):
    # "Alternative Rock; Indie" (23 characters) ran into the next column with one space: "...; Indie Clicks"
    # read as a genre "Indie Clicks"
    monkeypatch.chdir(tmp_path)
    write_tagged(tmp_path / "a.mp3", genre=["Alternative Rock", "Indie"])
    write_tagged(tmp_path / "b.mp3", genre="Rock")
    header, long, short = CliRunner().invoke(app, ["tag", "a.mp3", "b.mp3"]).stdout.splitlines()
    assert long == "a.mp3  Alternative Rock; Indie  Clicks           90%  write"
    assert short == "b.mp3  Rock                 Clicks           90%  write"  # the columns as they were
    assert header == "file   current              predicted       conf  action"


def write_log(log, *lines):
    log.write_text("".join(line + "\n" for line in lines))


def test_an_incomplete_last_log_line_is_a_warning_and_the_rest_is_undone(tmp_path):
    first, second = write_tagged(tmp_path / "u0.flac", genre="Rock"), write_tagged(tmp_path / "u1.flac")
    log = tmp_path / "undo.jsonl"
    write_genres(first, old=("Rock",), new=("Clicks",), log=log)
    with open(log, "a") as out:  # the next write's line, cut short by a kill: that write never happened
        out.write(f'{{"path": "{second}", "old": [')
    result = CliRunner().invoke(app, ["tag", "--undo", str(log)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{first}  restored\n"
    assert result.stderr.splitlines() == [
        (f"warning: {log}:2: an incomplete last line (a run stopped while logging a write it then never made): "
         "skipped"),
        "1 restored, 0 already undone, 0 failed"]
    assert read_tags(first).genres == ("Rock",) and read_tags(second).genres == ()


def test_a_malformed_line_before_the_last_is_an_error_and_the_valid_lines_are_undone(tmp_path):
    first, second = write_tagged(tmp_path / "a.flac", genre="Rock"), write_tagged(tmp_path / "b.flac", genre="Jazz")
    log = tmp_path / "undo.jsonl"
    write_genres(first, old=("Rock",), new=("Clicks",), log=log)
    with open(log, "a") as out:
        out.write('{"path": "/x/lost.flac", "old": [\n')
        # whole JSON that no write logs: a path holding a NUL (stat raises ValueError on it), brackets nested
        # past Python's recursion limit
        out.write('{"path": "/x/a\\u0000b.flac", "old": [], "new": ["Rock"]}\n' + "[" * 100_000 + "]" * 100_000 + "\n")
    write_genres(second, old=("Jazz",), new=("Drone",), log=log)
    result = CliRunner().invoke(app, ["tag", "--undo", str(log)])
    assert result.exit_code == 1
    bad = "error: not an undo log line (want path, old, new): its write, if it was made, is not undone"
    assert result.stdout.splitlines() == [f"{second}  restored", f"{log}:4  {bad}", f"{log}:3  {bad}",
                                          f"{log}:2  {bad}", f"{first}  restored"]
    assert result.stderr.splitlines()[-1] == "2 restored, 0 already undone, 3 failed"
    assert read_tags(first).genres == ("Rock",) and read_tags(second).genres == ("Jazz",)


def test_a_log_without_one_undo_line_is_one_error(tmp_path):
    log = tmp_path / "notes.jsonl"
    write_log(log, '{"name": "x"}', "[1, 2]")
    with pytest.raises(SpectrogenreError, match=r"notes\.jsonl is not an undo log: no line of it is one"):
        list(undo_log(log))


@pytest.mark.parametrize("version", [3, 4])
def test_undo_gives_a_numeric_id3_genre_back_as_it_was_written(tmp_path, version):
    path = write_audio(tmp_path / "a.mp3", sine(2.0, sr=44100), 44100)
    tags = mutagen.id3.ID3()
    tags.add(mutagen.id3.TCON(encoding=3, text=["(17)"]))  # ID3v1 code 17, which players show as Rock
    tags.save(path, v2_version=version)
    log = tmp_path / "undo.jsonl"
    row = tag_file(path, lambda p: verdict(), min_confidence=0.5, only_empty=False, mode="replace", log=log)
    assert (row.current, row.action) == (("Rock",), "written")
    assert json.loads(log.read_text())["old"] == ["(17)"]
    assert [row.action for row in undo_log(log)] == ["restored"]
    assert mutagen.id3.ID3(path, translate=False)["TCON"].text == ["(17)"]
    assert [row.action for row in undo_log(log)] == ["skip: already undone"]


@pytest.mark.parametrize("empty", [b"\0\0", b"\1\xff\xfe\0\0"], ids=["latin1", "utf16"])
def test_an_id3_genre_frame_holding_only_an_empty_value_is_written_and_undone(tmp_path, empty):
    """Its [""] was logged, and mutagen writes no frame for it: the undo found [] and failed, the write stayed."""
    path = write_audio(tmp_path / "a.mp3", sine(2.0, sr=44100), 44100)
    mutagen.id3.delete(path)
    audio = path.read_bytes()
    frame = b"TCON" + len(empty).to_bytes(4, "big") + b"\0\0" + empty
    path.write_bytes(b"ID3\3\0\0" + len(frame).to_bytes(4, "big") + frame + audio)  # < 128 bytes: syncsafe as is
    assert mutagen.id3.ID3(path, translate=False)["TCON"].text == [""]
    log = tmp_path / "undo.jsonl"
    row = tag_file(path, lambda p: verdict(), min_confidence=0.5, only_empty=False, mode="replace", log=log)
    assert (row.current, row.action) == ((), "written")
    assert json.loads(log.read_text())["old"] == []
    assert [row.action for row in undo_log(log)] == ["restored"]
    assert "TCON" not in mutagen.id3.ID3(path, translate=False)  # no genre, as before: an empty one reads as none
    assert path.read_bytes().endswith(audio)


def test_a_file_whose_name_is_not_utf8_is_written_logged_and_undone(tmp_path, every_file_clicks):
    folder = tmp_path / "music"
    folder.mkdir()
    path = folder / os.fsdecode(b"caf\xe9.flac")  # a Latin-1 name from an old archive
    shutil.copyfile(tagged_file(tmp_path, "a.flac", genre="Rock"), path)
    log = tmp_path / "undo.jsonl"
    written = CliRunner().invoke(app, ["tag", str(folder), "--write", "--log", str(log)])
    assert written.exit_code == 0, written.output
    assert actions(written.stdout) == {"caf\\xe9.flac": "written"}
    assert read_tags(path).genres == ("Clicks",)
    log.read_text(encoding="utf-8")  # the log stays UTF-8 text

    undone = CliRunner().invoke(app, ["tag", "--undo", str(log)])
    assert undone.exit_code == 0, undone.output
    assert undone.stdout == f"{folder}/caf\\xe9.flac  restored\n"
    assert read_tags(path).genres == ("Rock",)


def test_a_file_whose_name_is_too_long_for_the_temporary_copys_prefix_is_written(tmp_path, every_file_clicks):
    # 81 CJK characters are 243 bytes: with the copy's 18-byte prefix, past the 255 bytes a file name may hold
    path = tmp_path / ("交響曲" * 27 + ".mp3")
    shutil.copyfile(write_tagged(tmp_path / "a.mp3"), path)
    log = tmp_path / "undo.jsonl"
    result = CliRunner().invoke(app, ["tag", str(path), "--write", "--log", str(log)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].endswith("  written")
    assert read_tags(path).genres == ("Clicks",)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["a.mp3", path.name, "undo.jsonl"])


def damaged_since_written(tmp_path, name, damage):
    """`name` (tagged_file) with Clicks written by write_genres, then `damage(bytes) -> bytes` done to it (a file
    broken since `tag --write`): (path, undo log, its bytes now)."""
    path = tagged_file(tmp_path, name, genre="Rock")
    log = tmp_path / "undo.jsonl"
    write_genres(path, old=("Rock",), new=("Clicks",), log=log)
    path.write_bytes(damage(path.read_bytes()))
    return path, log, path.read_bytes()


def without_vorbis_framing_bit(data):
    """An Ogg Vorbis file whose comment packet ends without its framing bit (bench/fuzz_tag.py --phase undo --seed 2,
    case 266: a lacing value changed cut the packet short): the packet rewritten as mutagen writes it, less that
    byte and the padding."""
    import io

    from mutagen._vorbis import VComment
    from mutagen.ogg import OggPage

    file = io.BytesIO(data)
    OggPage(file)  # the identification header's page
    pages = [OggPage(file)]
    while not (pages[-1].complete or len(pages[-1].packets) > 1):
        pages.append(OggPage(file))
    packets = OggPage.to_packets(pages, strict=False)
    packets[0] = b"\x03vorbis" + VComment(packets[0][7:]).write(framing=False)
    OggPage.replace(file, pages, OggPage._from_packets_try_preserve(packets, pages))
    return file.getvalue()


def mp4_atom_of_exabytes(data):
    """An M4A whose artist atom says it is a terabyte long (a 64-bit size: 1, then the size where its data atom's
    header was): mutagen, reading files itself, asks for that many bytes."""
    artist = data.index(b"\xa9ART") - 4
    return data[:artist] + (1).to_bytes(4, "big") + b"\xa9ART" + (1 << 40).to_bytes(8, "big") + data[artist + 16:]


def cut_inside_its_id3_tag(data):
    """An MP3 cut 40 bytes in, inside the ID3 tag its header says is longer (run 2 of bench/fuzz_tag.md: case 37)."""
    assert data[:3] == b"ID3"
    return data[:40]


@pytest.mark.parametrize(("name", "damage", "problem"), [
    ("a.ogg", without_vorbis_framing_bit, "tags cannot be read (bytearray index out of range)"),  # IndexError
    # mutagen wrapped the MemoryError of asking for a terabyte: "tags cannot be read ()"
    ("a.m4a", mp4_atom_of_exabytes, "tags cannot be read (Not enough data)"),
    # mutagen wrapped a short read in an error with no message: "tags cannot be read ()"
    ("a.mp3", cut_inside_its_id3_tag, "tags cannot be read (damaged ID3 data)"),
])
def test_an_undo_of_a_file_whose_tags_were_damaged_since_is_an_error_row_and_the_file_is_untouched(
        tmp_path, name, damage, problem):
    path, log, before = damaged_since_written(tmp_path, name, damage)
    assert [(row.path, row.action) for row in undo_log(log)] == [(str(path), f"error: {problem}")]
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name, "undo.jsonl"]


def test_an_undo_of_a_flac_whose_comment_block_claims_gigabytes_is_an_error_row_not_a_memory_error(tmp_path):
    # bench/fuzz_tag.py --phase undo --seed 2, case 1532: a vendor string's length damaged to 3.6 GB. mutagen, reading
    # the file itself, asked for that many bytes: a MemoryError (a traceback from `tag --undo`) wherever they cannot
    # be lent. Undone here with 1.5 GB of address space, as read_tags' own test reads
    def vendor_of_4_gb(data):
        at = 4
        while data[at] & 0x7F != 4:  # the VORBIS_COMMENT block; its vendor string's length comes first
            at += 4 + int.from_bytes(data[at + 1:at + 4], "big")
        return data[:at + 4] + b"\xff\xff\xff\xff" + data[at + 8:]

    path, log, before = damaged_since_written(tmp_path, "a.flac", vendor_of_4_gb)
    undo = ("import json, resource, sys\nfrom pathlib import Path\nfrom spectrogenre.library.tagging import undo_log\n"
            "resource.setrlimit(resource.RLIMIT_AS, (3 << 29, 3 << 29))\n"
            "print(json.dumps([row.action for row in undo_log(Path(sys.argv[1]))]))")
    done = subprocess.run([sys.executable, "-c", undo, str(log)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    (action,) = json.loads(done.stdout)
    assert re.fullmatch(r"error: tags cannot be read \(file said 4294967295 bytes, read \d+ bytes\)", action)
    assert path.read_bytes() == before


def test_a_file_whose_audio_is_damaged_is_said_to_be_so_when_its_write_cannot_be_checked(tmp_path):
    # bench/fuzz_tag.md: such a row said only "cannot be decoded (...)", for a file predict had classified past the
    # damage: the check of a write decodes strictly, and it is the audio, not the tag, that is damaged
    def zeros_in_the_middle(data):
        middle = len(data) // 2
        return data[:middle] + bytes(3000) + data[middle + 3000:]

    path, log, before = damaged_since_written(tmp_path, "a.flac", zeros_in_the_middle)
    reason = ("its audio cannot be decoded (Error : flac decoder lost sync.), so a write cannot be checked against it "
              "(the audio is damaged, not the tag); file left as it was")
    assert [row.action for row in undo_log(log)] == [f"error: {reason}"]
    assert tag_file(path, lambda p: verdict("Drone"), min_confidence=0.5, only_empty=False, mode="replace",
                    log=tmp_path / "write.jsonl").action == f"error: {reason}"
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.flac", "undo.jsonl"]


def test_a_wav_renamed_mp3_is_named_for_what_it_holds_and_untouched(tmp_path):
    path = write_audio(tmp_path / "a.wav", sine(1.0, sr=44100), 44100).rename(tmp_path / "a.mp3")
    before = path.read_bytes()
    for log in (None, tmp_path / "undo.jsonl"):  # the dry run says what the write would
        row = tag_file(path, never, min_confidence=0.5, only_empty=False, mode="replace", log=log)
        assert row.action == "error: holds WAV audio, not what its name (.mp3) says: writing genre tags to WAV files is not supported"
    assert path.read_bytes() == before and not (tmp_path / "undo.jsonl").exists()


def test_mutagens_own_words_name_the_file_once_not_its_python_repr():
    path = Path("/music/a.mp3")
    err = mutagen.id3.ID3NoHeaderError(f"{path!r} doesn't start with an ID3 tag")
    assert describe_mutagen_error(err, path) == "the file doesn't start with an ID3 tag"


def test_a_chained_ogg_file_is_refused_and_untouched_and_its_check_ends(tmp_path):
    # two Ogg Vorbis files joined: libsndfile counts its length as 2**63 frames, and the write's check read blocks of
    # nothing for ever
    first, second = write_audio(tmp_path / "a.ogg", sine(2.0, sr=44100), 44100), tmp_path / "b.ogg"
    write_audio(second, clicks(2.0, sr=44100), 44100)
    chain = tmp_path / "chain.ogg"
    chain.write_bytes(first.read_bytes() + second.read_bytes())
    before = chain.read_bytes()
    row = tag_file(chain, never, min_confidence=0.5, only_empty=False, mode="replace", log=tmp_path / "undo.jsonl")
    assert row.action == ("error: a chained Ogg file (streams one after another: joined files, a radio recording): a "
                          "genre written to its first stream could not be checked against the others; not supported")
    assert chain.read_bytes() == before and not (tmp_path / "undo.jsonl").exists()
    # the check itself reads the first stream to its end, and stops there
    assert sum(len(block) for block in tagging.sample_blocks(chain)) == 2 * 44100


@pytest.mark.parametrize("frame", [
    b"TPE1" + bytes([0, 0, 0, 7, 0, 0]) + b"\x09Artist",  # a text encoding no version of ID3 has
    b"APIC" + bytes([0, 0, 0, 10, 0, 0]) + b"\x03image/png",  # a picture cut off after its type
])
def test_an_id3_frame_no_reader_parses_is_not_dropped_by_a_write(tmp_path, frame):
    # mutagen drops such a frame on load, ffprobe does not show it: compared by both, the copy looked the same
    path = tmp_path / "a.mp3"
    write_audio(path, sine(2.0, sr=44100), 44100)
    text = lambda name, value: name.encode() + bytes([0, 0, 0, len(value) + 1, 0, 0]) + b"\x03" + value
    frames = text("TIT2", b"Song") + text("TCON", b"Rock") + frame
    size = len(frames) + 100  # and padding
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    path.write_bytes(b"ID3\x04\x00\x00" + synchsafe + frames + bytes(100) + path.read_bytes())
    before = path.read_bytes()
    with pytest.raises(TaggingError, match=rf"its ID3 tag holds {frame[:4].decode()} frame\(s\) that mutagen cannot "
                                           r"read, which writing the genre would drop \(a malformed frame\); file "
                                           r"left as it was"):
        write_genres(path, old=("Rock",), new=("Jazz",), log=tmp_path / "undo.jsonl")
    assert path.read_bytes() == before


def test_a_genre_frame_mutagen_cannot_read_is_not_replaced_unread(tmp_path):
    # UTF-16 text ending in half a surrogate pair: ffprobe shows the genre, mutagen drops the frame on load, and the
    # file looked as if it had no genre: a write (or --only-empty) would have lost the user's
    path = tmp_path / "a.mp3"
    write_audio(path, sine(2.0, sr=44100), 44100)
    genre = b"\x01\xff\xfeR\x00\x00\xd8"
    frames = b"TCON" + bytes([0, 0, 0, len(genre), 0, 0]) + genre
    size = len(frames) + 100
    synchsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    path.write_bytes(b"ID3\x04\x00\x00" + synchsafe + frames + bytes(100) + path.read_bytes())
    before = path.read_bytes()
    assert read_tags(path).genres == ()  # as mutagen sees it
    row = tag_file(path, lambda p: verdict(confidence=0.9), min_confidence=0.5, only_empty=True, mode="replace",
                   log=tmp_path / "undo.jsonl")
    assert row.action == ("error: its ID3 tag holds a genre frame (TCON) that mutagen cannot read (a malformed "
                          "frame), which writing the genre would replace unread; file left as it was")
    assert path.read_bytes() == before and not (tmp_path / "undo.jsonl").exists()
