import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from spectrogenre import audio_io
from spectrogenre.errors import LibraryError
from spectrogenre.library.sources import GenreMap, Track, load_catalog
from tests.synth import NFC, NFD, hiphop_library, write_tagged


def names(catalog):
    return [(t.genre, t.group, t.name) for t in catalog.tracks]


# --- folders: <genre>/<album>/<track>

def test_folders_give_genres_albums_and_tracks_in_order(tiny_library):
    catalog = load_catalog(tiny_library, layout="folders")
    assert [t.name for t in catalog.tracks][:6] == [
        "Clicks/Album 0/01 Track.wav", "Clicks/Album 0/02 Track.flac", "Clicks/Album 1/01 Track.wav",
        "Clicks/Album 1/02 Track.flac", "Clicks/Album 2/01 Track.wav", "Clicks/Album 2/02 Track.flac"]
    assert sorted(catalog.genres()) == ["Clicks", "Drone", "Noise"]
    assert {t.group for t in catalog.tracks} == {"Album 0", "Album 1", "Album 2"}
    assert {t.grouped_by for t in catalog.tracks} == {"album"}
    assert [entry for entry in catalog.left_out if entry[0].startswith("Drone/")] == []


def test_folders_list_covers_as_ignored_and_loose_audio_as_left_out_with_the_fix(tiny_library):
    (tiny_library / "Drone" / "Album 0" / "cover.jpg").write_bytes(b"jpeg")
    (tiny_library / "Drone" / "loose.mp3").write_bytes(b"x")
    (tiny_library / "Drone" / "Album 0" / ".DS_Store").write_bytes(b"x")
    disc = tiny_library / "Noise" / "Album 0" / "CD2"
    disc.mkdir()
    shutil.copy(tiny_library / "Noise" / "Album 0" / "01 Track.wav", disc / "01.wav")
    catalog = load_catalog(tiny_library, layout="folders")
    assert catalog.ignored == [("Drone/Album 0/.DS_Store", "a hidden or system file (a macOS ._ copy, .DS_Store)"),
                               ("Drone/Album 0/cover.jpg", "not an audio file")]
    assert catalog.left_out == [("Drone/loose.mp3", ("audio file in a genre folder, outside an album folder: move "
                                                     "it into one (a folder of singles is one group), or use layout "
                                                     "flat (groups by album tags)"))]
    noise_0 = [t.name for t in catalog.tracks if t.genre == "Noise" and t.group == "Album 0"]
    assert noise_0 == ["Noise/Album 0/01 Track.wav", "Noise/Album 0/02 Track.flac", "Noise/Album 0/CD2/01.wav"]


@pytest.mark.parametrize("layout", ["folders", "tags"])
def test_music_in_a_hidden_or_system_folder_is_left_out_file_by_file_and_a_folder_without_music_ignored(
        tiny_library, layout):
    hidden = tiny_library / "Drone" / ".Album 9"  # an album the user hid
    (hidden / "CD1").mkdir(parents=True)
    shutil.copy(tiny_library / "Drone" / "Album 0" / "01 Track.wav", hidden / "CD1" / "01.wav")
    (hidden / "02.mp3").write_bytes(b"x")
    (hidden / "cover.jpg").write_bytes(b"jpeg")
    (tiny_library / "Noise" / ".git").mkdir()  # a tool's folder, no music in it
    (tiny_library / "Noise" / ".git" / "HEAD").write_text("ref")
    catalog = load_catalog(tiny_library, layout=layout)
    why = ("in Drone/.Album 9, a hidden folder (its name starts with a dot: a tool's, as .git, .stversions or "
           ".Trash, or one you hid): rename it to include it")
    assert [entry for entry in catalog.left_out if ".Album 9" in entry[0]] == [
        ("Drone/.Album 9/02.mp3", why), ("Drone/.Album 9/CD1/01.wav", why)]
    assert [entry for entry in catalog.ignored if ".git" in entry[0] or ".Album" in entry[0]] == [
        ("Noise/.git", ("a hidden folder (its name starts with a dot: a tool's, as .git, .stversions or .Trash, "
                        "or one you hid): rename it to include it"))]
    assert not any(".Album 9" in track.name for track in catalog.tracks)


def test_a_wav_whose_header_no_decoder_takes_is_left_out_by_the_scan_as_decoding_would(tiny_library):
    import struct

    impossible = tiny_library / "Clicks" / "Album 0" / "01 Track.wav"
    data = bytearray(impossible.read_bytes())
    data[22:24] = struct.pack("<H", 1000)  # the fmt chunk's channel count (a tag reader still gives a length)
    impossible.write_bytes(bytes(data))
    cut = tiny_library / "Clicks" / "Album 1" / "01 Track.wav"
    cut.write_bytes(cut.read_bytes()[:len(cut.read_bytes()) // 2])  # its data chunk states twice what is there
    catalog = load_catalog(tiny_library, layout="folders")
    left_out = dict(catalog.left_out)
    assert left_out["Clicks/Album 0/01 Track.wav"] == "header claims 1000 channels; 1 to 64 are accepted"
    assert re.fullmatch(r"truncated: data chunk declares (\d+) bytes, only \d+ present",
                        left_out["Clicks/Album 1/01 Track.wav"])
    assert "Clicks/Album 0/01 Track.wav" not in [t.name for t in catalog.tracks]


def deeper_than_a_path_can_name(folder: Path, monkeypatch) -> Path:
    """A folder under `folder` too deep for its path to be named (past PATH_MAX, 4096 on Linux): walking it fails, as
    it would for a folder this user may not read (chmod means nothing to root, who runs the tests in CI)."""
    monkeypatch.chdir(folder)
    for _ in range(150):
        os.mkdir("d" * 30)
        os.chdir("d" * 30)
    Path("1.mp3").write_bytes(b"x")
    return folder / ("d" * 30)


def test_a_folder_that_cannot_be_read_is_left_out_said_by_default_and_its_genre_stopped_on(tiny_library,
                                                                                            monkeypatch):
    (tiny_library / "Jazz" / "Album 0").mkdir(parents=True)
    deeper_than_a_path_can_name(tiny_library / "Jazz" / "Album 0", monkeypatch)
    monkeypatch.chdir(tiny_library)
    catalog = load_catalog(tiny_library, layout="folders")
    [(where, why)] = [entry for entry in catalog.left_out if entry[0].startswith("Jazz/")]
    assert where.startswith("Jazz/Album 0/" + "d" * 30 + "/") and why == "a folder that cannot be read: File name too long"
    assert catalog.empty_genre_folders() == [("Jazz", 1)]


@pytest.mark.parametrize("layout", ["folders", "tags"])
def test_music_in_a_format_not_read_is_left_out_with_the_reason_not_ignored_as_not_audio(tiny_library, layout):
    # a protected iTunes purchase is music no decoder may read: the scan must not call it a cover or a playlist
    (tiny_library / "Classical" / "Album 0").mkdir(parents=True)
    (tiny_library / "Classical" / "Album 0" / "01.m4p").write_bytes(b"\0\0\0\x20ftypM4P ")
    (tiny_library / "Drone" / "Album 0" / "03.M4P").write_bytes(b"\0\0\0\x20ftypM4P ")
    (tiny_library / "Drone" / "Album 0" / "04.wave").write_bytes(
        (tiny_library / "Drone" / "Album 0" / "01 Track.wav").read_bytes())  # a WAV by another name: read
    catalog = load_catalog(tiny_library, layout=layout, genre_map=GenreMap({"Drone": [], "Classical": []}))
    protected = (".m4p is an iTunes Store purchase protected against copying (DRM): no decoder may read it; use an "
                 "unprotected copy (the store's newer download, or the CD)")
    assert [entry for entry in sorted(catalog.left_out) if entry[0].lower().endswith(".m4p")] == [
        ("Classical/Album 0/01.m4p", protected), ("Drone/Album 0/03.M4P", protected)]
    assert catalog.ignored == []  # the .wave too: a track (folders), or left out for its missing genre tag (tags)
    assert ("Drone/Album 0/04.wave" in [track.name for track in catalog.tracks]) == (layout == "folders")
    if layout == "folders":  # a genre folder of such music only is an error, not "holds no audio"
        assert catalog.empty_genre_folders() == [("Classical", 1)]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")
def test_music_in_formats_only_ffmpeg_reads_is_taken_as_tracks(tiny_library):
    # an old rip in MPEG Layer II and a lossless True Audio album: tracks like any other, by their folders
    wav = tiny_library / "Drone" / "Album 0" / "01 Track.wav"
    for name, codec in (("05.mp2", "mp2"), ("06.tta", "tta")):
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", codec,
                        str(wav.with_name(name))], check=True)
    catalog = load_catalog(tiny_library, layout="folders", genre_map=GenreMap({"Drone": []}))
    names = [track.name for track in catalog.tracks]
    assert "Drone/Album 0/05.mp2" in names and "Drone/Album 0/06.tta" in names
    assert [entry for entry in catalog.left_out if entry[0].startswith("Drone/")] == []


def test_a_missing_library_or_a_manifest_given_as_a_folder_is_one_clear_error(tmp_path):
    with pytest.raises(LibraryError, match=r"^library path \S+nowhere does not exist$"):
        load_catalog(tmp_path / "nowhere", layout="folders")
    with pytest.raises(LibraryError, match=r"^manifest \S+nowhere.csv does not exist$"):  # not "set the layout"
        load_catalog(tmp_path / "nowhere.csv", layout="manifest")
    with pytest.raises(LibraryError, match=r"^library path \S+nowhere.csv does not exist$"):
        load_catalog(tmp_path / "nowhere.csv", layout="folders")
    for name in ("list.csv", "list.txt"):
        (tmp_path / name).write_text("path,genre\n")
        with pytest.raises(LibraryError, match=r"is not a folder \(a file: a manifest, a CSV or TSV list of tracks\? "
                                               r"set the layout to manifest\)"):
            load_catalog(tmp_path / name, layout="flat")
    with pytest.raises(LibraryError, match=r"^manifest \S+ is not a file \(layout manifest"):
        load_catalog(tmp_path, layout="manifest")


def test_a_genre_map_can_merge_and_select_folders(tiny_library):
    catalog = load_catalog(tiny_library, layout="folders", genre_map=GenreMap({"tonal": ["Drone"], "Noise": []}))
    assert sorted(catalog.genres()) == ["Noise", "tonal"]
    assert len(catalog.genres()["tonal"]) == 6
    assert catalog.unmapped == {"Clicks": 6}
    assert catalog.left_out[0] == ("Clicks/Album 0/01 Track.wav",
                                   "genre folder 'Clicks' is not in the genre map (source.genres)")


# --- flat: <genre>/<track>, groups from tags

def test_flat_groups_by_album_tag_else_artist_else_the_track(tmp_path):
    root = tmp_path / "lib"
    write_tagged(root / "jazz" / "a.mp3", album="Kind of Blue", artist="Miles Davis")
    write_tagged(root / "jazz" / "b.flac", album="Kind of Blue", artist="Miles Davis")
    write_tagged(root / "jazz" / "c.ogg", artist="Nina Simone")
    write_tagged(root / "jazz" / "more" / "d.wav")  # sub-folders are fine
    catalog = load_catalog(root, layout="flat")
    assert [(t.group, t.grouped_by, t.name) for t in catalog.tracks] == [
        ("Kind of Blue", "album", "jazz/a.mp3"), ("Kind of Blue", "album", "jazz/b.flac"),
        ("[artist] Nina Simone", "artist", "jazz/c.ogg"), ("[track] jazz/more/d.wav", "track", "jazz/more/d.wav")]


def test_flat_lists_audio_outside_a_genre_folder(tmp_path):
    write_tagged(tmp_path / "lib" / "top.mp3")
    write_tagged(tmp_path / "lib" / "rock" / "x.mp3")
    catalog = load_catalog(tmp_path / "lib", layout="flat")
    assert names(catalog) == [("rock", "[track] rock/x.mp3", "rock/x.mp3")]
    assert catalog.left_out == [("top.mp3", "audio file outside a genre folder")]


# --- tags: any tree, genre from the tag through the map

def tagged_library(root):
    write_tagged(root / "A" / "1" / "a.mp3", genre="Hip-Hop", album="One", artist="A")
    write_tagged(root / "A" / "1" / "b.mp3", genre="hip hop", album="One", artist="A")
    write_tagged(root / "B" / "c.flac", genre="HipHop", album="Two", artist="B")
    write_tagged(root / "B" / "d.ogg", genre="(17)", album="Three", artist="B")  # ID3v1 code in Vorbis: Rock
    write_tagged(root / "C" / "e.mp3", genre="(17)", album="Four", artist="C")  # ID3v1 code: Rock
    write_tagged(root / "C" / "f.mp3", genre=["Rock", "Rap"], album="Four", artist="C")
    write_tagged(root / "C" / "g.mp3", genre="Jazz", album="Five", artist="C")
    write_tagged(root / "C" / "h.mp3", album="Five", artist="C")
    (root / "C" / "i.flac").write_bytes(b"fLaC" + b"\x00\x00\x00\x22" + b"\xff" * 10)


def test_tags_place_each_track_by_its_genre_tag_through_the_map(tmp_path):
    tagged_library(tmp_path / "lib")
    genre_map = GenreMap({"hiphop": ["Hip-Hop", "Rap"], "rock": []})
    catalog = load_catalog(tmp_path / "lib", layout="tags", genre_map=genre_map)
    assert names(catalog) == [("hiphop", "One", "A/1/a.mp3"), ("hiphop", "One", "A/1/b.mp3"),
                              ("hiphop", "Two", "B/c.flac"), ("rock", "Four", "C/e.mp3"), ("rock", "Three", "B/d.ogg")]
    assert dict(catalog.left_out) == {  # B/d.ogg's "(17)" is ID3v1's code for Rock, copied into a Vorbis comment
        "C/f.mp3": "genre tag 'Rock', 'Rap' matches 2 genres (hiphop, rock): ambiguous, not guessed",
        "C/g.mp3": "genre tag 'Jazz' is not in the genre map (source.genres)",
        "C/h.mp3": "no genre tag",
        # not audio at all: the reason decoding would give
        "C/i.flac": "cannot be decoded: corrupt or not a .flac audio file (File contains data in an unimplemented "
                    "format.)",
    }
    assert catalog.unmapped == {"Jazz": 1}


@pytest.mark.parametrize("suffix", [".mp3", ".flac", ".m4a"])
def test_same_titled_albums_are_one_group_unless_their_album_artists_differ(tmp_path, suffix):
    lib = tmp_path / "lib"
    write_tagged(lib / "Queen" / f"1{suffix}", genre="Rock", album="Greatest Hits", artist="Queen",
                 album_artist="Queen")
    write_tagged(lib / "ABBA" / f"1{suffix}", genre="Rock", album="Greatest Hits (Disc 2)", artist="ABBA",
                 album_artist="ABBA")
    for n, artist in enumerate(["Blur", "Oasis"]):  # a compilation: one album artist, the tracks' own artists
        write_tagged(lib / "Britpop" / f"{n}{suffix}", genre="Rock", album="Britpop", artist=artist,
                     album_artist="Various Artists")
    for n, artist in enumerate(["Pulp", "Suede"]):  # no album artist: the title alone, as one album
        write_tagged(lib / "Live" / f"{n}{suffix}", genre="Rock", album="Live", artist=artist)
    catalog = load_catalog(lib, layout="tags", genre_map=GenreMap({"rock": []}))
    assert {t.name: t.group for t in catalog.tracks} == {
        f"Queen/1{suffix}": "Greatest Hits [Queen]", f"ABBA/1{suffix}": "Greatest Hits [ABBA]",
        f"Britpop/0{suffix}": "Britpop [Various Artists]", f"Britpop/1{suffix}": "Britpop [Various Artists]",
        f"Live/0{suffix}": "Live", f"Live/1{suffix}": "Live"}
    # the folders layout's album is its folder, whatever the tags say
    write_tagged(tmp_path / "folders" / "Rock" / "Hits" / f"1{suffix}", album="Greatest Hits", album_artist="Queen")
    assert names(load_catalog(tmp_path / "folders", layout="folders")) == [("Rock", "Hits", f"Rock/Hits/1{suffix}")]


def test_an_albums_album_artist_tags_that_disagree_as_taggers_leave_them_make_one_group(tmp_path):
    lib = tmp_path / "lib"
    # the tag on every second track only; one name the start of the other; two artists' albums in one folder
    for n in range(4):
        write_tagged(lib / "Leoni" / f"{n}.mp3", genre="Rock", album="Human Needs", artist="Barbara Leoni",
                     album_artist="Barbara Leoni" if n % 2 else "")
        write_tagged(lib / "Mood" / f"{n}.mp3", genre="Rock", album="Mood Swings", artist=f"Band {n}",
                     album_artist="Various Artists" if n < 3 else "Various")
        write_tagged(lib / "Flat" / f"{n}.mp3", genre="Rock", album="Greatest Hits", artist=["Queen", "ABBA"][n % 2],
                     album_artist=["Queen", "ABBA"][n % 2])
    catalog = load_catalog(lib, layout="tags", genre_map=GenreMap({"rock": []}))
    groups = {t.name: t.group for t in catalog.tracks}
    assert {groups[f"Leoni/{n}.mp3"] for n in range(4)} == {"Human Needs [Barbara Leoni]"}
    assert {groups[f"Mood/{n}.mp3"] for n in range(4)} == {"Mood Swings [Various Artists]"}  # 3 of 4 tracks' name
    assert [groups[f"Flat/{n}.mp3"] for n in range(4)] == ["Greatest Hits [Queen]", "Greatest Hits [ABBA]"] * 2


def test_a_value_joining_genres_with_a_slash_or_comma_counts_as_its_parts_unless_the_map_holds_it(tmp_path):
    lib = tmp_path / "lib"
    write_tagged(lib / "a.mp3", genre="Rock/Soundtrack")  # ID3v2.3 as mutagen and Picard join values
    write_tagged(lib / "b.flac", genre="Rock, Soundtrack")
    write_tagged(lib / "c.mp3", genre="Rock/Pop")  # two genres of the map: ambiguous, as "Rock; Pop" is
    write_tagged(lib / "d.mp3", genre="Hip-Hop/Rap")  # the map holds the whole value: not split
    write_tagged(lib / "e.mp3", genre="Jazz/Funk")  # no part in the map: said whole
    genre_map = GenreMap({"rock": [], "pop": [], "hiphop": ["Hip-Hop/Rap"]})
    catalog = load_catalog(lib, layout="tags", genre_map=genre_map)
    assert [(t.genre, t.name) for t in catalog.tracks] == [("hiphop", "d.mp3"), ("rock", "a.mp3"), ("rock", "b.flac")]
    assert dict(catalog.left_out) == {
        "c.mp3": "genre tag 'Rock/Pop' matches 2 genres (pop, rock): ambiguous, not guessed",
        "e.mp3": "genre tag 'Jazz/Funk' is not in the genre map (source.genres)"}
    assert catalog.unmapped == {"Soundtrack": 2, "Jazz/Funk": 1}


def test_a_value_mapped_to_two_genres_is_reported(tmp_path):
    write_tagged(tmp_path / "lib" / "x.mp3", genre="Trip-Hop")
    genre_map = GenreMap({"electronic": ["trip hop"], "hiphop": ["TripHop"]})
    assert genre_map.conflicts == ["genre map: 'trip hop' is listed under electronic and hiphop",
                                   "genre map: 'TripHop' is listed under electronic and hiphop"]
    catalog = load_catalog(tmp_path / "lib", layout="tags", genre_map=genre_map)
    assert catalog.tracks == [] and catalog.map_conflicts == genre_map.conflicts
    assert "matches 2 genres" in catalog.left_out[0][1]


# --- manifest: CSV or TSV, paths relative to it

def test_manifest_csv_with_albums_artists_and_bad_rows(tmp_path):
    root = tmp_path / "data"
    write_tagged(root / "audio" / "1.mp3", album="Tagged Album", artist="Tagged Artist")
    write_tagged(root / "audio" / "2.flac")
    write_tagged(root / "audio" / "3.wav")
    (root / "manifest.csv").write_text(
        "Path,Genre,Album,Artist\n"
        "audio/1.mp3,blues,,\n"            # album and artist from the file's tags
        "audio/2.flac,blues,Live,Someone\n"
        "audio/3.wav,jazz,,\n"             # no album, no artist: its own group
        "audio/missing.mp3,jazz,,\n"
        "audio/./1.mp3,jazz,,\n"           # the same file again
        "audio/2.flac,,,\n"
        ",jazz,,\n"
        "audio/missing.mp3,jazz,,\n")     # a missing file again
    catalog = load_catalog(root / "manifest.csv", layout="manifest")
    assert catalog.root == root
    assert [(t.genre, t.group, t.artist, t.name) for t in catalog.tracks] == [
        ("blues", "Live", "Someone", "audio/2.flac"), ("blues", "Tagged Album", "Tagged Artist", "audio/1.mp3"),
        ("jazz", "[track] audio/3.wav", "", "audio/3.wav")]
    assert catalog.left_out == [
        ("manifest.csv row 5: audio/missing.mp3",
         f"no such file in {root} (a relative path is read from the manifest's folder)"),
        ("manifest.csv row 6: audio/./1.mp3 (first at row 2)",
         "listed again, with another genre (jazz here, blues there); the first row is used"),
        ("manifest.csv row 7: audio/2.flac (first at row 3)", "listed again; the first row is used"),
        ("manifest.csv row 8", "no path"),
        ("manifest.csv row 9: audio/missing.mp3 (first at row 5)",
         "listed again; the first row is left out too, for the reason it gives")]


def test_manifest_tsv_and_absolute_paths(tmp_path):
    track = write_tagged(tmp_path / "elsewhere" / "x.ogg", album="A")
    (tmp_path / "list.tsv").write_text(f"path\tgenre\n{track}\tfolk\n")
    catalog = load_catalog(tmp_path / "list.tsv", layout="manifest")
    assert [(t.genre, t.group, t.path) for t in catalog.tracks] == [("folk", "A", track)]


def test_a_manifest_cell_joining_genres_with_semicolons_or_bars_is_read_as_a_tags_values(tmp_path):
    for name in ("a", "b", "c", "d"):
        write_tagged(tmp_path / f"{name}.ogg", album=name)
    (tmp_path / "beets.tsv").write_text("path\tgenre\na.ogg\tRock; Indie\nb.ogg\tRock | Indie\nc.ogg\tRock\n"
                                        "d.ogg\t3\n")
    mapped = load_catalog(tmp_path / "beets.tsv", layout="manifest", genre_map=GenreMap({"Rock": [], "3": []}))
    assert [(t.name, t.genre) for t in mapped.tracks] == [("d.ogg", "3"), ("a.ogg", "Rock"), ("b.ogg", "Rock"),
                                                          ("c.ogg", "Rock")]  # a number stays a label
    unmapped = load_catalog(tmp_path / "beets.tsv", layout="manifest")
    assert sorted(t.name for t in unmapped.tracks) == ["c.ogg", "d.ogg"]
    assert ("beets.tsv row 2: a.ogg", "genre 'Rock', 'Indie' matches 2 genres (Indie, Rock): ambiguous, not guessed"
            ) in unmapped.left_out


def test_a_manifest_path_that_names_no_file_says_where_it_was_looked_for(tmp_path):
    write_tagged(tmp_path / "Music" / "Rock" / "1.mp3")
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "m.csv").write_text(f"path,genre\nRock/1.mp3,rock\nRock\\2.mp3,rock\n{tmp_path}/2.mp3,rock\n")
    catalog = load_catalog(tmp_path / "lists" / "m.csv", layout="manifest")
    assert catalog.left_out == [
        ("m.csv row 2: Rock/1.mp3",
         f"no such file in {tmp_path / 'lists'} (a relative path is read from the manifest's folder)"),
        ("m.csv row 3: Rock\\2.mp3",
         f"no such file in {tmp_path / 'lists'} (a relative path is read from the manifest's folder)"),
        (f"m.csv row 4: {tmp_path}/2.mp3", "no such file")]


def test_a_manifest_made_on_windows_reads_its_backslashes_as_folders(tmp_path):
    write_tagged(tmp_path / "Rock" / "Live, Vol. 1" / "01.mp3")
    write_tagged(tmp_path / "a\\b.mp3")  # on Linux a backslash can be part of a name: that file first
    # Excel's "CSV UTF-8" where the list separator is ';': a BOM, CRLF line ends, cells quoted
    (tmp_path / "m.csv").write_bytes(
        '\ufeffPath;Genre\r\n"Rock\\Live, Vol. 1\\01.mp3";rock\r\n"a\\b.mp3";jazz\r\n'
        '"C:\\Users\\me\\Music\\Rock\\02.mp3";rock\r\nfile:///C:/Users/me/Music/03.mp3;rock\r\n'.encode())
    catalog = load_catalog(tmp_path / "m.csv", layout="manifest")
    assert [(t.genre, t.name, t.path) for t in catalog.tracks] == [
        ("jazz", "a\\b.mp3", tmp_path / "a\\b.mp3"),
        ("rock", "Rock/Live, Vol. 1/01.mp3", tmp_path / "Rock" / "Live, Vol. 1" / "01.mp3")]
    assert catalog.left_out == [
        ("m.csv row 4: C:\\Users\\me\\Music\\Rock\\02.mp3",
         ("no such file: an absolute Windows path (a drive or a network share): write it relative to the list's "
          "folder, or as the path on this machine")),
        ("m.csv row 5: file:///C:/Users/me/Music/03.mp3",  # a drive's file URI, as players on Windows write one
         ("no such file: an absolute Windows path (a drive or a network share): write it relative to the list's "
          "folder, or as the path on this machine"))]


def test_a_manifest_path_in_the_home_folder_is_read_as_library_is(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    track = write_tagged(tmp_path / "home" / "Music" / "x.ogg", album="A")
    (tmp_path / "list.csv").write_text("path,genre\n~/Music/x.ogg,folk\n")
    catalog = load_catalog(tmp_path / "list.csv", layout="manifest")
    assert [(t.genre, t.path) for t in catalog.tracks] == [("folk", track)]


def test_a_manifest_reads_a_local_file_uri_as_its_path(tmp_path):
    track = write_tagged(tmp_path / "My Music" / "Été.mp3")
    (tmp_path / "m.csv").write_text("path,genre\n"
                                    f"file://{tmp_path}/My%20Music/%C3%89t%C3%A9.mp3,pop\n"  # as players write them
                                    f"file://{tmp_path}/gone.mp3,pop\n"
                                    "http://example.com/x.mp3,pop\n"
                                    "smb://nas/music/y.mp3,pop\n")
    catalog = load_catalog(tmp_path / "m.csv", layout="manifest")
    assert [(t.genre, t.path) for t in catalog.tracks] == [("pop", track)]
    why = "no such file: a URI, not a file's path on this machine (a local file:/// URI is read as its path)"
    assert catalog.left_out == [(f"m.csv row 3: file://{tmp_path}/gone.mp3", "no such file"),
                                ("m.csv row 4: http://example.com/x.mp3", why),
                                ("m.csv row 5: smb://nas/music/y.mp3", why)]


def test_a_manifest_row_naming_a_folder_or_a_file_not_audio_is_left_out_with_its_row(tmp_path):
    write_tagged(tmp_path / "Rock" / "Album" / "01.mp3")
    (tmp_path / "Rock" / "Album" / "cover.jpg").write_bytes(b"jpeg")
    (tmp_path / "m.tsv").write_text("path\tgenre\nRock/Album\trock\nRock/Album/cover.jpg\trock\nRock/Album/01.mp3\trock\n")
    catalog = load_catalog(tmp_path / "m.tsv", layout="manifest")
    assert [t.name for t in catalog.tracks] == ["Rock/Album/01.mp3"]
    assert catalog.left_out == [("m.tsv row 2: Rock/Album", "a folder, not a file: a manifest lists each track's file"),
                                ("m.tsv row 3: Rock/Album/cover.jpg", "not an audio file")]
    assert catalog.ignored == []


def test_a_manifest_without_its_columns_stops_with_the_fix(tmp_path):
    (tmp_path / "list.csv").write_text("file,label\na.mp3,rock\n")
    with pytest.raises(LibraryError, match="has no path or genre column .*it needs path and genre"):
        load_catalog(tmp_path / "list.csv", layout="manifest")
    (tmp_path / "list.csv").write_text("Path,Genre\r\n\r\n")  # a header alone, as a spreadsheet saves one
    with pytest.raises(LibraryError, match=r"list.csv has its header \(path, genre\) and no track: list one track"):
        load_catalog(tmp_path / "list.csv", layout="manifest")
    (tmp_path / "list.csv").write_text("path,genre,Genre \na.mp3,rock,jazz\n")  # which genre is a.mp3's?
    with pytest.raises(LibraryError, match=r"has the column genre 2 times \(columns 2, 3 of its header: path, genre, "
                                           r"genre\); keep one"):
        load_catalog(tmp_path / "list.csv", layout="manifest")


# --- formats

@pytest.mark.parametrize("suffix", ["opus", "m4a"])
def test_ffmpeg_formats_are_tracks_or_say_they_need_ffmpeg(tmp_path, suffix, monkeypatch):
    if shutil.which("ffmpeg") is None:
        pytest.skip("writing the test file needs ffmpeg")
    write_tagged(tmp_path / "lib" / "pop" / "Album" / f"t.{suffix}", album="Album")
    catalog = load_catalog(tmp_path / "lib", layout="folders")
    assert [t.name for t in catalog.tracks] == [f"pop/Album/t.{suffix}"]
    monkeypatch.setattr("spectrogenre.audio_io.shutil.which", lambda name: None)
    catalog = load_catalog(tmp_path / "lib", layout="folders")
    assert catalog.tracks == []
    assert catalog.left_out == [(f"pop/Album/t.{suffix}",
                                 f".{suffix} needs ffmpeg, which is not installed (Debian: apt install ffmpeg)")]


def test_files_it_cannot_read_or_name_are_left_out_with_why_and_a_folder_named_like_audio_is_walked(tmp_path):
    root = tmp_path / "lib"
    write_tagged(root / "pop" / "A" / "ok.mp3")
    (root / "pop" / "A" / "gone.mp3").symlink_to(tmp_path / "nothing.mp3")
    (root / "pop" / "A" / "cover.jpg").symlink_to(tmp_path / "nothing.jpg")  # not audio: ignored, dangling or not
    os.mkfifo(root / "pop" / "A" / "pipe.wav")
    shutil.copy(root / "pop" / "A" / "ok.mp3", root / "pop" / "A" / os.fsdecode(b"caf\xe9.mp3"))  # Latin-1 name
    (root / "pop" / "A" / os.fsdecode(b"caf\xe9.jpg")).write_bytes(b"x")  # not audio: ignored, whatever its name
    (root / "pop" / "A" / "x.flac").mkdir()
    write_tagged(root / "pop" / "A" / "x.flac" / "inside.mp3")
    catalog = load_catalog(root, layout="folders")
    assert [t.name for t in catalog.tracks] == ["pop/A/ok.mp3", "pop/A/x.flac/inside.mp3"]
    assert catalog.left_out == [
        ("pop/A/caf\\xe9.mp3", "its name is not UTF-8 text: rename it to use it"),
        ("pop/A/gone.mp3", f"broken symbolic link: it points to {tmp_path / 'nothing.mp3'}, which does not exist"),
        ("pop/A/pipe.wav", "is a named pipe (FIFO), not a file: not read")]
    assert sorted(catalog.ignored) == [("pop/A/caf\\xe9.jpg", "not an audio file"), ("pop/A/cover.jpg", "not an audio file")]


def test_a_file_this_user_may_not_read_is_left_out_with_why(tmp_path, monkeypatch):
    root = tmp_path / "lib"
    write_tagged(root / "pop" / "A" / "ok.mp3")
    write_tagged(root / "pop" / "A" / "locked.mp3")
    real_open = open

    def as_another_user(path, *args, **kwargs):  # chmod 000 would not stop root, who runs CI
        if Path(path).name == "locked.mp3":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(audio_io, "open", as_another_user, raising=False)
    catalog = load_catalog(root, layout="folders")
    assert [t.name for t in catalog.tracks] == ["pop/A/ok.mp3"]
    assert catalog.left_out == [("pop/A/locked.mp3", "cannot be read: permission denied")]


def test_groups_name_their_kind():
    assert Track(path=None, name="g/x.mp3", genre="g", album="A").group == "A"
    assert Track(path=None, name="g/x.mp3", genre="g", artist="B").group == "[artist] B"
    assert Track(path=None, name="g/x.mp3", genre="g").group == "[track] g/x.mp3"


@pytest.mark.parametrize(("album", "group"), [
    ("Abbey Road CD2", "Abbey Road"), ("Hits (Disc 1 of 2)", "Hits"), ("Hits [Disk 2]", "Hits"), ("Hits - CD 1", "Hits"),
    ("Hits, Disc 2", "Hits"), ("Mezzanine (Disc 2/2)", "Mezzanine"), ("CD1-JS Bach-Six Sonatas", "JS Bach-Six Sonatas"),
    # more after the mark, as rippers write it
    ("The Wall (Disc 2) [2011 Remaster]", "The Wall [2011 Remaster]"), ("The Wall CD2 (FLAC)", "The Wall"),
    ("Mellon Collie Disc 1 - Dawn to Dusk", "Mellon Collie"), ("Hits - Disc One", "Hits"),
    ("Hits (CD 1 of 2) [FLAC]", "Hits [FLAC]"), ("Hits (Disc 1 - Live)", "Hits"), ("Hits [Disc 2: Bonus]", "Hits"),
    ("Hits (Disc 3 \u2013 Rarities) [FLAC]", "Hits [FLAC]"), ("Hits (CD2 - Live in Paris)", "Hits"),
    # no disc mark: a word that starts with one, a name that is only one, a CD without a number
    ("ACDC2", "ACDC2"), ("Discovery 2", "Discovery 2"), ("CD1", "CD1"), ("Live CD", "Live CD"),
    ("Discone", "Discone"), ("Disc Jockey", "Disc Jockey"), ("The CD 2 Collection", "The CD 2 Collection"),
    ("Hits (Discotheque - Live)", "Hits (Discotheque - Live)")])
def test_an_albums_discs_are_one_group(album, group):
    assert Track(path=None, name="g/x.mp3", genre="g", album=album).group == group


def test_disc_folders_beside_each_other_are_one_album(tmp_path):
    for album in ("Abbey Road CD1", "Abbey Road CD2", "Let It Be"):
        write_tagged(tmp_path / "rock" / album / "01.flac")
    catalog = load_catalog(tmp_path, layout="folders")
    assert [(t.album, t.group) for t in catalog.tracks] == [
        ("Abbey Road CD1", "Abbey Road"), ("Abbey Road CD2", "Abbey Road"), ("Let It Be", "Let It Be")]


def test_a_manifest_as_excel_saves_it(tmp_path):
    track = write_tagged(tmp_path / "Beyoncé" / "x.flac", album="A")
    rows = "path;genre\r\nBeyoncé/x.flac;pop\r\n"
    for name, data in (("utf16.csv", "\ufeff".encode("utf-16-le") + rows.encode("utf-16-le")),  # "Unicode text"
                       ("sep.csv", ("\ufeffsep=;\r\n" + rows).encode())):  # "CSV UTF-8" with a separator line
        (tmp_path / name).write_bytes(data)
        catalog = load_catalog(tmp_path / name, layout="manifest")
        assert [(t.genre, t.path) for t in catalog.tracks] == [("pop", track)], name
    (tmp_path / "latin.csv").write_bytes(rows.encode("cp1252"))  # Excel's "CSV (Comma delimited)" on Windows
    with pytest.raises(LibraryError, match=r"latin\.csv is not UTF-8 text \(line 2 holds byte 0xe9, .*save it as "
                                           r"UTF-8 \(Excel: \"CSV UTF-8\"\)"):
        load_catalog(tmp_path / "latin.csv", layout="manifest")


@pytest.mark.parametrize("name, data, problem", [
    ("list.csv", "path,genre\na.mp3,rock\n".encode("utf-16-le"),
     "holds NUL bytes: UTF-16 text without its byte order mark, or not a text file"),
    ("list.xlsx", b"PK\x03\x04" + bytes(40), "is a zip file (a spreadsheet's own format"),
    ("song.mp3", b"ID3\x04" + bytes(40), "is an audio file: `library` names the library's folder"),
    ("rock.m3u8", "\ufeff#EXTM3U\n#EXTINF:180,Band - Song\nSong.mp3\n".encode(), (
        "is a playlist, which names tracks but no genre: make a manifest of your playlists, one genre each (the "
        "README's recipe")),
    ("jazz.pls", b"[playlist]\nFile1=Song.mp3\nNumberOfEntries=1\n", "is a playlist, which names tracks"),
])
def test_a_file_that_is_no_manifest_is_named_for_what_it_is(tmp_path, name, data, problem):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(LibraryError, match=re.escape(f"manifest {tmp_path / name} {problem}")):
        load_catalog(tmp_path / name, layout="manifest")


def test_a_damaged_manifest_is_one_error_and_a_path_no_file_can_have_is_its_rows(tmp_path):
    """Each raised past the reader (UnicodeDecodeError, csv.Error, ValueError, OSError): scan's traceback."""
    track = write_tagged(tmp_path / "a.mp3")
    (tmp_path / "odd.csv").write_bytes("\ufeffpath,genre\na.mp3,pop\n".encode("utf-16-le") + b"\x2c")  # one byte over
    with pytest.raises(LibraryError, match=r"odd\.csv starts as UTF-16 text \(its byte order mark\) and is not: "
                                           r"truncated data at byte \d+; save it again as UTF-8 or UTF-16"):
        load_catalog(tmp_path / "odd.csv", layout="manifest")
    (tmp_path / "quote.csv").write_text('path,genre\n"a.mp3,pop\n' + "b.mp3,rock\n" * 20_000)  # never closed
    with pytest.raises(LibraryError, match=r"quote\.csv cannot be read past line \d+ \(field larger than field limit "
                                           r"\(131072\)\): a quote opened there or before and never closed\?"):
        load_catalog(tmp_path / "quote.csv", layout="manifest")
    long_name = "x" * 300 + ".mp3"
    (tmp_path / "loop1.mp3").symlink_to("loop2.mp3")  # links that lead to each other
    (tmp_path / "loop2.mp3").symlink_to("loop1.mp3")
    (tmp_path / "names.csv").write_text(f"path,genre\na.mp3,pop\nb\0c.mp3,pop\n{long_name},pop\nloop1.mp3,pop\n")
    catalog = load_catalog(tmp_path / "names.csv", layout="manifest")
    assert [t.path for t in catalog.tracks] == [track]
    assert catalog.left_out == [
        ("names.csv row 3: b\0c.mp3", "names no file this machine can have (embedded null byte)"),
        (f"names.csv row 4: {long_name}", "names no file this machine can have (File name too long)"),
        ("names.csv row 5: loop1.mp3", "a link that leads back to itself (a loop of links)")]


def test_a_manifest_written_by_hand_with_spaces_after_its_commas_reads_its_quoted_cells(tmp_path):
    track = write_tagged(tmp_path / "Suites, French" / "01.flac", album="A")
    (tmp_path / "m.csv").write_text('genre, path, album\nclassical, "Suites, French/01.flac", "Suites, French"\n')
    catalog = load_catalog(tmp_path / "m.csv", layout="manifest")
    assert [(t.genre, t.path, t.album) for t in catalog.tracks] == [("classical", track, "Suites, French")]


def test_an_itunes_playlist_exported_as_text_is_a_manifest_its_location_the_path(tmp_path):
    track = write_tagged(tmp_path / "Music" / "Artist" / "Album" / "01 Song.flac", album="Album")
    rows = f"Name\tArtist\tAlbum\tGenre\tLocation\r\nSong\tArtist\tAlbum\tRock\t{track}\r\n"
    (tmp_path / "Rock.txt").write_bytes("\ufeff".encode("utf-16-le") + rows.encode("utf-16-le"))  # as iTunes saves it
    catalog = load_catalog(tmp_path / "Rock.txt", layout="manifest")
    assert [(t.genre, t.path, t.album, t.artist) for t in catalog.tracks] == [("Rock", track, "Album", "Artist")]


# --- genre names that differ only in how they are written, without a genre map

@pytest.mark.parametrize("layout", ["folders", "flat"])
def test_without_a_map_folders_named_alike_are_one_genre_under_the_spelling_with_most_tracks(tmp_path, layout):
    root = hiphop_library(tmp_path / "lib", layout=layout)
    catalog = load_catalog(root, layout=layout)
    assert sorted(catalog.genres()) == ["Hip-Hop", "Jazz"]
    hiphop = catalog.genres()["Hip-Hop"]
    assert [(t.group, t.genre_written) for t in hiphop] == [("A1", ""), ("A1", ""), ("A2", ""), ("B1", "hip hop")]
    assert hiphop[-1].name == ("hip hop/B1/B1-1.wav" if layout == "folders" else "hip hop/B1-1.wav")
    assert catalog.empty_genre_folders() == []  # 'hip hop/' is Hip-Hop's: not a genre folder without tracks


def test_without_a_map_tag_values_named_alike_are_one_genre(tmp_path):
    lib = tmp_path / "lib"
    write_tagged(lib / "a.mp3", genre="Rock", album="A")
    write_tagged(lib / "b.flac", genre="Rock", album="B")
    write_tagged(lib / "c.mp3", genre="rock", album="C")
    write_tagged(lib / "d.mp3", genre=["ROCK", "rock"], album="D")  # one genre, written twice in one tag
    write_tagged(lib / "e.mp3", genre="Jazz", album="E")
    catalog = load_catalog(lib, layout="tags")
    assert names(catalog) == [("Jazz", "E", "e.mp3"), ("Rock", "A", "a.mp3"), ("Rock", "B", "b.flac"),
                              ("Rock", "C", "c.mp3"), ("Rock", "D", "d.mp3")]
    assert [t.genre_written for t in catalog.tracks] == ["", "", "", "rock", "ROCK"]
    assert catalog.left_out == []


@pytest.mark.parametrize("layout", ["folders", "flat"])
def test_spaces_around_a_genre_folders_name_are_no_part_of_the_genre(tmp_path, layout):
    for folder in ["Rock ", " rock", "  Jazz"]:
        write_tagged(tmp_path / folder / "A" / "1.wav", album=folder)
    catalog = load_catalog(tmp_path, layout=layout)
    assert sorted((t.genre, t.genre_written, t.name) for t in catalog.tracks) == [
        ("Jazz", "", "  Jazz/A/1.wav"), ("Rock", "", "Rock /A/1.wav"), ("Rock", "rock", " rock/A/1.wav")]
    assert catalog.empty_genre_folders() == []
    assert names(load_catalog(tmp_path, layout=layout, genre_map=GenreMap({"jazz": []})))[0][0] == "jazz"


def test_without_a_map_an_accent_typed_on_linux_and_on_macos_is_one_genre(tmp_path):
    root = tmp_path / "lib"
    for folder, album in [(NFC, "A"), (NFC, "B"), (NFD, "C"), ("Jazz", "J")]:
        write_tagged(root / folder / album / "1.wav")
    assert sorted(os.listdir(root)) == sorted(["Jazz", NFC, NFD])  # two folders on disk
    catalog = load_catalog(root, layout="folders")
    assert sorted(catalog.genres()) == ["Jazz", NFC]
    assert [(t.group, t.genre_written) for t in catalog.genres()[NFC]] == [("A", ""), ("B", ""), ("C", NFD)]
    assert catalog.empty_genre_folders() == []


def test_without_a_map_a_tie_goes_to_the_first_spelling_in_sorted_order(tmp_path):
    rows = ["path,genre,album"]
    for n, genre in enumerate(["classical", "classical", "Classical", "Classical", "\u266a", "\u266b"]):
        write_tagged(tmp_path / f"{n}.flac")
        rows.append(f"{n}.flac,{genre},{genre} {n}")
    (tmp_path / "list.csv").write_text("\n".join(rows) + "\n")
    catalog = load_catalog(tmp_path / "list.csv", layout="manifest")
    assert [t.genre for t in catalog.tracks] == ["Classical"] * 4 + ["\u266a", "\u266b"]  # no letter or digit:
    assert [t.genre_written for t in catalog.tracks] == ["", "", "classical", "classical", "", ""]  # never one by it


def test_a_map_decides_which_names_are_one_genre_and_its_name(tmp_path):
    root = hiphop_library(tmp_path / "lib")
    assert sorted(load_catalog(root, layout="folders").genres()) == ["Hip-Hop", "Jazz"]
    # the map's values match the folders ignoring case and punctuation, as before: its names are learnt
    catalog = load_catalog(root, layout="folders", genre_map=GenreMap({"rap": ["hip hop"], "jazz": []}))
    assert {genre: len(tracks) for genre, tracks in catalog.genres().items()} == {"jazz": 3, "rap": 4}
    assert {t.genre_written for t in catalog.tracks} == {""} and catalog.empty_genre_folders() == []
