import pytest

from spectrogenre.errors import LibraryError
from spectrogenre.library import scan_library


def test_scan_finds_genres_albums_and_tracks_in_order(tiny_library):
    scan = scan_library(tiny_library)
    assert list(scan.genres) == ["Clicks", "Drone", "Noise"]
    albums = scan.genres["Drone"]
    assert [a.name for a in albums] == ["Album 0", "Album 1", "Album 2"]
    assert [t.name for t in albums[0].tracks] == ["01 Track.wav", "02 Track.flac"]
    assert scan.ignored == []


def test_non_audio_and_loose_files_are_listed_as_ignored(tiny_library):
    (tiny_library / "Drone" / "Album 0" / "cover.jpg").write_bytes(b"jpeg")
    (tiny_library / "Drone" / "loose.mp3").write_bytes(b"x")
    (tiny_library / "Drone" / "Album 0" / ".DS_Store").write_bytes(b"x")
    scan = scan_library(tiny_library)
    reasons = {p.name: why for p, why in scan.ignored}
    assert reasons == {"cover.jpg": "not an audio file", "loose.mp3": "audio file outside an album folder"}


def test_nested_disc_folders_belong_to_their_album(tiny_library):
    disc = tiny_library / "Noise" / "Album 0" / "CD2"
    disc.mkdir()
    (disc / "01.wav").write_bytes((tiny_library / "Noise" / "Album 0" / "01 Track.wav").read_bytes())
    tracks = scan_library(tiny_library).genres["Noise"][0].tracks
    assert [t.relative_to(tiny_library / "Noise" / "Album 0").as_posix() for t in tracks] == [
        "01 Track.wav", "02 Track.flac", "CD2/01.wav"]


def test_missing_library_and_empty_genre_are_clear_errors(tmp_path, tiny_library):
    with pytest.raises(LibraryError, match="does not exist"):
        scan_library(tmp_path / "nowhere")
    (tiny_library / "Polka" / "Album 0").mkdir(parents=True)
    with pytest.raises(LibraryError, match="genre 'Polka' has no album folder with audio"):
        scan_library(tiny_library)


def test_one_genre_is_not_enough(tmp_path, tiny_library):
    for genre in ("Clicks", "Noise"):
        (tiny_library / genre).rename(tmp_path / genre)
    with pytest.raises(LibraryError, match="has 1 genre folder"):
        scan_library(tiny_library)
