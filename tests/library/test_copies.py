import shutil

import soundfile as sf

from spectrogenre.library.copies import leave_out_copies
from spectrogenre.library.sources import load_catalog
from tests.synth import sine


def catalog_without_copies(root):
    catalog = load_catalog(root, layout="folders")
    leave_out_copies(catalog)
    return catalog


def test_an_album_copied_into_a_second_genre_is_learned_as_neither(tiny_library):
    shutil.copytree(tiny_library / "Drone" / "Album 1", tiny_library / "Noise" / "Album 9")
    catalog = catalog_without_copies(tiny_library)
    why = ("the same file is filed under the genres Drone and Noise: one recording cannot teach two genres, so no "
           "copy is learned (keep it under the genre it belongs to)")
    assert catalog.left_out == [("Drone/Album 1/01 Track.wav", why), ("Drone/Album 1/02 Track.flac", why),
                                ("Noise/Album 9/01 Track.wav", why), ("Noise/Album 9/02 Track.flac", why)]
    assert [len(tracks) for tracks in catalog.genres().values()] == [6, 4, 6]  # Clicks, Drone, Noise
    assert "Drone/Album 0/01 Track.wav" in {t.name for t in catalog.tracks}


def test_a_copy_within_one_genre_is_learned_once_from_the_first(tiny_library):
    shutil.copytree(tiny_library / "Clicks" / "Album 2", tiny_library / "Clicks" / "Album 2 (copy)")
    shutil.copy(tiny_library / "Clicks" / "Album 0" / "01 Track.wav", tiny_library / "Clicks" / "Album 1" / "again.wav")
    catalog = catalog_without_copies(tiny_library)
    album_2 = "a copy of a file in Clicks/Album 2 (the same bytes): learned once, from there"
    assert catalog.left_out == [
        ("Clicks/Album 1/again.wav", "a copy of a file in Clicks/Album 0 (the same bytes): learned once, from there"),
        ("Clicks/Album 2 (copy)/01 Track.wav", album_2),
        ("Clicks/Album 2 (copy)/02 Track.flac", album_2)]
    assert [t.name for t in catalog.tracks if t.genre == "Clicks"][-2:] == ["Clicks/Album 2/01 Track.wav",
                                                                             "Clicks/Album 2/02 Track.flac"]


def test_files_of_the_same_size_but_other_bytes_are_all_learned(tmp_path):
    for genre, album, freq in [("pop", "A", 440.0), ("pop", "B", 441.0), ("rock", "C", 442.0)]:
        (tmp_path / genre / album).mkdir(parents=True)
        sf.write(tmp_path / genre / album / "1.wav", sine(1.0, freq=freq), 8000)  # 16,044 bytes each
    catalog = catalog_without_copies(tmp_path)
    assert {t.bytes for t in catalog.tracks} == {16044}
    assert len(catalog.tracks) == 3 and catalog.left_out == []
