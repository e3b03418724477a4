"""Playlists given to predict and tag: the tracks they name."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spectrogenre.cli import app
from spectrogenre.errors import SpectrogenreError
from spectrogenre.playlists import Entry, playlist_entries
from spectrogenre.prediction import survey

URI = "a URI, not a file's path on this machine (a local file:/// URI is read as its path)"
WINDOWS_PATH = ("an absolute Windows path (a drive or a network share): write it relative to the list's folder, or as "
                "the path on this machine")


def test_a_playlist_names_its_tracks_as_players_write_them(tmp_path):
    (tmp_path / "Album").mkdir()
    song = tmp_path / "Album/01 Song.mp3"
    song.write_bytes(b"x")
    lines = ["#EXTM3U", "#EXTINF:215,Artist - Song", "Album/01 Song.mp3", "", "Album\\01 Song.mp3",
             f"{song}", "file:///" + str(song).lstrip("/").replace(" ", "%20"), "http://radio.example/live.mp3",
             "C:\\Music\\x.mp3", "gone.mp3"]
    playlist = tmp_path / "mix.m3u8"
    playlist.write_text("\ufeff" + "\r\n".join(lines), encoding="utf-8")  # a BOM and Windows line ends
    assert playlist_entries(playlist) == [
        Entry(3, "Album/01 Song.mp3", song), Entry(5, "Album\\01 Song.mp3", song), Entry(6, str(song), song),
        Entry(7, lines[6], song), Entry(8, lines[7], None, URI),
        Entry(9, lines[8], None, WINDOWS_PATH),
        Entry(10, "gone.mp3", tmp_path / "gone.mp3")]


def test_an_m3u_in_latin_1_is_read_and_an_m3u8_that_is_not_utf8_refused(tmp_path):
    (tmp_path / "old.m3u").write_bytes("Café.mp3\n".encode("latin-1"))
    assert [e.path for e in playlist_entries(tmp_path / "old.m3u")] == [tmp_path / "Café.mp3"]
    (tmp_path / "bad.m3u8").write_bytes("Café.mp3\n".encode("latin-1"))
    with pytest.raises(SpectrogenreError, match="bad.m3u8: not UTF-8 text, as an .m3u8 playlist is"):
        playlist_entries(tmp_path / "bad.m3u8")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_an_m3u_saved_as_utf16_with_its_byte_order_mark_is_read(tmp_path, encoding):
    (tmp_path / "utf16.m3u").write_bytes("\ufeff#EXTM3U\r\nCafé.mp3\r\nSong 2.flac\r\n".encode(encoding))
    assert playlist_entries(tmp_path / "utf16.m3u") == [Entry(2, "Café.mp3", tmp_path / "Café.mp3"),
                                                        Entry(3, "Song 2.flac", tmp_path / "Song 2.flac")]
    (tmp_path / "cut.m3u").write_bytes(b"\xff\xfea\x00b")  # an odd byte count: not UTF-16
    with pytest.raises(SpectrogenreError, match=r"cut\.m3u: starts as UTF-16 text \(its byte order mark\) and is "
                                                r"not: truncated data at byte 4"):
        playlist_entries(tmp_path / "cut.m3u")


def test_a_playlist_a_playlist_names_is_said_not_to_be_read(tmp_path):
    (tmp_path / "a.mp3").write_bytes(b"x")
    (tmp_path / "inner.m3u").write_text("a.mp3\n")
    (tmp_path / "outer.m3u").write_text("inner.m3u\na.mp3\n")
    given = survey([tmp_path / "outer.m3u"])
    assert given.files == [tmp_path / "a.mp3"]
    assert given.not_files == [(f"{tmp_path / 'outer.m3u'}, line 1: inner.m3u: a playlist, and a playlist's own "
                                f"playlists are not read: give it as well")]


def test_a_playlist_line_holding_a_nul_names_no_file_and_the_others_are_read(tmp_path):
    # os.stat and realpath raise ValueError on it: predict and tag stopped with a traceback, every row lost
    (tmp_path / "song.mp3").write_bytes(b"x")
    nul = "a NUL character, which no file's name can"
    (tmp_path / "nul.m3u").write_bytes(b"song.mp3\nso\x00ng.mp3\nfile:///music/so%00ng.mp3\n")
    given = survey([tmp_path / "nul.m3u"])
    assert given.files == [tmp_path / "song.mp3"]
    assert given.not_files == [f"{tmp_path / 'nul.m3u'}, line 2: so\0ng.mp3: holds {nul}",
                               f"{tmp_path / 'nul.m3u'}, line 3: file:///music/so%00ng.mp3: holds {nul}"]


def test_a_pls_playlist_names_its_files_in_the_order_of_their_numbers(tmp_path):
    (tmp_path / "Album").mkdir()
    song = tmp_path / "Album/01 Song.mp3"
    song.write_bytes(b"x")
    lines = ["[playlist]", "NumberOfEntries=3", "File2=b.flac", "Title2=B", "File1=Album\\01 Song.mp3",
             "Length1=-1", "file3 = http://radio.example/live.mp3", "Version=2"]
    (tmp_path / "radio.pls").write_text("\r\n".join(lines), encoding="utf-8")
    assert playlist_entries(tmp_path / "radio.pls") == [
        Entry(5, "Album\\01 Song.mp3", song), Entry(3, "b.flac", tmp_path / "b.flac"),
        Entry(7, "http://radio.example/live.mp3", None, URI)]


def test_an_xspf_playlist_names_the_first_location_of_each_track_with_its_line(tmp_path):
    (tmp_path / "Album").mkdir()
    song, cafe = tmp_path / "Album/01 Song.mp3", tmp_path / "Café & Bar.mp3"
    for path in (song, cafe):
        path.write_bytes(b"x")
    cafe_uri = "file:///" + str(cafe).lstrip("/").replace(" ", "%20").replace("é", "%C3%A9").replace("&", "&amp;")
    (tmp_path / "mix.xspf").write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<playlist version="1" xmlns="http://xspf.org/ns/0/">
  <location>http://example.org/this-playlist.xspf</location>
  <trackList>
    <track><location>Album/01%20Song.mp3</location><location>file:///copy.mp3</location></track>
    <track>
      <title>Caf&#233;</title>
      <location>{cafe_uri}</location>
    </track>
    <track><location>https://example.org/y.mp3</location></track>
  </trackList>
</playlist>
""", encoding="utf-8")
    assert playlist_entries(tmp_path / "mix.xspf") == [
        Entry(5, "Album/01 Song.mp3", song), Entry(8, cafe_uri.replace("&amp;", "&"), cafe),
        Entry(10, "https://example.org/y.mp3", None, URI)]


def test_a_wpl_playlist_names_each_media_source(tmp_path):
    (tmp_path / "Album").mkdir()
    (tmp_path / "lists").mkdir()
    song = tmp_path / "lists/Album/Rock & Roll.mp3"
    song.parent.mkdir()
    song.write_bytes(b"x")
    (tmp_path / "lists/mix.wpl").write_text("""<?wpl version="1.0"?>
<smil>
  <head><title>Mix</title></head>
  <body>
    <seq>
      <media src="Album\\Rock &amp; Roll.mp3"/>
      <media src="..\\outside.mp3" tid="{1}"/>
      <media src="C:\\Music\\x.mp3"/>
    </seq>
  </body>
</smil>
""", encoding="utf-8")
    assert playlist_entries(tmp_path / "lists/mix.wpl") == [
        Entry(6, "Album\\Rock & Roll.mp3", song), Entry(7, "..\\outside.mp3", tmp_path / "lists/../outside.mp3"),
        Entry(8, "C:\\Music\\x.mp3", None, WINDOWS_PATH)]


def test_a_damaged_or_hostile_xml_playlist_is_refused_by_name(tmp_path):
    (tmp_path / "cut.xspf").write_text("<playlist><trackList><track><location>a.mp3</location>")
    with pytest.raises(SpectrogenreError, match=r"cut.xspf: not a readable XSPF playlist \(XML: no element found"):
        playlist_entries(tmp_path / "cut.xspf")
    # entities that expand to gigabytes ("billion laughs"): refused at once, not expanded
    entities = ['<!ENTITY a0 "ha">'] + [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)]
    (tmp_path / "bomb.wpl").write_text(f"<?xml version='1.0'?><!DOCTYPE smil [{''.join(entities)}]>"
                                       "<smil><body><seq><media src='&a9;'/></seq></body></smil>")
    with pytest.raises(SpectrogenreError, match="bomb.wpl: not a readable WPL playlist"):
        playlist_entries(tmp_path / "bomb.wpl")


def test_a_playlist_of_any_kind_given_stands_for_its_tracks(tmp_path):
    for name in ("a.mp3", "b.flac"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "list.pls").write_text("[playlist]\nFile1=b.flac\nFile2=a.mp3\n")
    given = survey([tmp_path / "list.pls"])
    assert given.files == [tmp_path / "b.flac", tmp_path / "a.mp3"]
    assert given.listed_in[tmp_path / "a.mp3"] == f"{tmp_path / 'list.pls'}, line 3"


def test_a_playlist_given_stands_for_its_tracks_each_once_and_one_in_a_folder_is_not_read(tmp_path):
    for name in ("a.mp3", "b.flac"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "list.m3u").write_text("b.flac\na.mp3\nb.flac\nhttp://x/y.mp3\n")
    given = survey([tmp_path / "list.m3u"])
    assert given.files == [tmp_path / "b.flac", tmp_path / "a.mp3"]  # the playlist's order, each once
    assert given.listed_in == {tmp_path / "b.flac": f"{tmp_path / 'list.m3u'}, line 1",
                               tmp_path / "a.mp3": f"{tmp_path / 'list.m3u'}, line 2"}
    assert given.notes() == [f"{tmp_path / 'list.m3u'}, line 4: http://x/y.mp3: {URI}: not classified"]
    folder = survey([tmp_path])
    assert folder.files == [tmp_path / "a.mp3", tmp_path / "b.flac"] and folder.not_audio == {".m3u": 1}


def test_predict_and_tag_name_the_playlist_line_of_a_missing_track_and_fail(tiny_project, tmp_path):
    track = tiny_project / "library/Noise/Album 0/01 Track.wav"
    playlist = tmp_path / "list.m3u"
    playlist.write_text(f"{track}\nmissing.wav\nhttp://x/y.mp3\n")
    result = CliRunner().invoke(app, ["predict", "--model", str(tiny_project / "data/export"), str(playlist),
                                      "--format", "json", "--threshold", "0"])
    rows = {Path(row["path"]).name: row for row in json.loads(result.stdout)}
    assert rows["01 Track.wav"]["genre"] == "Noise"
    assert rows["missing.wav"]["error"] == f"no such file (listed in {playlist}, line 2)"
    assert result.stderr.splitlines()[-1] == "1 classified, 1 failed, 1 argument(s) or playlist line(s) naming no file"
    assert result.exit_code == 1
    tagged = CliRunner().invoke(app, ["tag", "--model", str(tiny_project / "data/export"), str(playlist)])
    assert f"error: no such file (listed in {playlist}, line 2)" in tagged.stdout
    assert tagged.stderr.splitlines()[-1].endswith(", 1 argument(s) or playlist line(s) naming no file")
    assert tagged.exit_code == 1
