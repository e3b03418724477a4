"""walk.py: every file of a music folder, album titles that start with dots included, system entries passed
over and said, links to folders followed once."""

from __future__ import annotations

import os
from pathlib import Path

from spectrogenre.walk import is_system_entry, walk


def make(root, *names):
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")


def test_album_titles_may_start_with_dots_but_system_names_do_not():
    for title in ("...And Justice for All", ".5 The Gray Chapter", "...Like Clockwork", ". (dot)"):
        assert not is_system_entry(title)
    for name in (".git", ".DS_Store", "._01 Song.mp3", ".stversions", ".@__thumb", ".spectrogenre-tag.a.mp3",
                 "@eaDir", "#recycle", "$RECYCLE.BIN", "System Volume Information", "lost+found"):
        assert is_system_entry(name)


def test_system_entries_are_passed_over_and_their_folders_said(tmp_path):
    make(tmp_path, "Metal/...And Justice for All/01.mp3", "Metal/.5 The Gray Chapter/01.mp3",
         "Metal/Kill Em All/01.mp3", "Metal/Kill Em All/._01.mp3", "Metal/Kill Em All/.DS_Store",
         "Metal/.stversions/Kill Em All/01~20260101.mp3", "Metal/Kill Em All/@eaDir/01.mp3/SYNOFILE_THUMB_M.jpg")
    found = walk(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found.files] == [
        "Metal/...And Justice for All/01.mp3", "Metal/.5 The Gray Chapter/01.mp3", "Metal/Kill Em All/01.mp3"]
    assert [(p.relative_to(tmp_path).as_posix(), why.split(" (")[0]) for p, why in found.passed_over] == [
        ("Metal/.stversions", "a hidden folder"), ("Metal/Kill Em All/@eaDir", "a system folder")]
    assert [p.relative_to(tmp_path).as_posix() for p in found.system_files] == [
        "Metal/Kill Em All/.DS_Store", "Metal/Kill Em All/._01.mp3"]


def test_links_to_folders_are_followed_once(tmp_path):
    library, elsewhere = tmp_path / "library", tmp_path / "elsewhere"
    make(library, "Rock/A1/1.mp3")
    make(elsewhere, "A4/4.mp3")
    os.symlink(elsewhere / "A4", library / "Rock/A4")  # an album kept on another disk
    os.symlink(library / "Rock", library / "Rock/A1/loop")  # a link loop
    (library / "Rock/Best Of").mkdir()
    os.symlink("../A1/1.mp3", library / "Rock/Best Of/1.mp3")  # the same recording again, through a link
    os.symlink(elsewhere / "gone.mp3", library / "Rock/A1/gone.mp3")  # dangling: listed, the caller says what it is
    found = walk(library)
    assert [p.relative_to(library).as_posix() for p in found.files] == [
        "Rock/A1/1.mp3", "Rock/A1/gone.mp3", "Rock/A4/4.mp3"]
    assert [(p.relative_to(library).as_posix(), why) for p, why in found.passed_over] == [
        ("Rock/A1/loop", "a link to Rock in this folder: walked there")]
    assert [(p.relative_to(library).as_posix(), why) for p, why in found.repeated] == [
        ("Rock/Best Of/1.mp3", "a link to Rock/A1/1.mp3 in this folder: listed there")]


def test_a_link_never_decides_where_a_track_belongs(tmp_path):
    library, elsewhere = tmp_path / "library", tmp_path / "elsewhere"
    make(library, "Rock/A1/1.mp3", "Pop/A4/4.mp3", "Pop/A5/5.mp3")
    make(elsewhere, "Live/9.mp3")
    os.symlink("Rock", library / "Metal")  # sorts before Rock: it would have taken Rock's tracks
    os.symlink("Pop/A4", library / "Blues")  # an album linked as a genre
    os.symlink("../../Pop/A5/5.mp3", library / "Rock/A1/5.mp3")  # a file linked into another genre
    os.symlink(elsewhere / "Live", library / "Pop/Live")  # outside the folder: followed
    os.symlink(elsewhere / "Live", library / "Rock/Live")  # ... once
    found = walk(library)
    assert [p.relative_to(library).as_posix() for p in found.files] == [
        "Pop/A4/4.mp3", "Pop/A5/5.mp3", "Pop/Live/9.mp3", "Rock/A1/1.mp3"]
    assert [(p.relative_to(library).as_posix(), why.replace(str(library), "<lib>")) for p, why in found.passed_over] == [
        ("Blues", "a link to Pop/A4 in this folder: walked there"),
        ("Metal", "a link to Rock in this folder: walked there"),
        ("Rock/Live", "the same folder as <lib>/Pop/Live (through a link): walked once")]
    assert [(p.relative_to(library).as_posix(), why) for p, why in found.repeated] == [
        ("Rock/A1/5.mp3", "a link to Pop/A5/5.mp3 in this folder: listed there")]


def test_a_folder_it_may_not_read_is_said(tmp_path, monkeypatch):
    make(tmp_path, "Rock/A1/1.mp3", "Rock/Locked/2.mp3")
    locked = tmp_path / "Rock/Locked"
    scandir = os.scandir

    def as_another_user(path):  # chmod 000 would not stop root, who runs CI
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", as_another_user)
    found = walk(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found.files] == ["Rock/A1/1.mp3"]
    assert found.passed_over == [(locked, "cannot be read: Permission denied")]
