"""The files on disk: folders, names, containers, rates, channels, lengths, levels."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import soundfile as sf

from spectrogenre.demo import GENRES
from tests.demo.conftest import TINY


def test_one_folder_per_genre_with_three_albums_of_one_track(demo_library):
    root, paths = demo_library
    assert sorted(p.name for p in root.iterdir()) == sorted(GENRES)
    for genre in GENRES:
        albums = sorted((root / genre).iterdir())
        assert len(albums) == 3
        assert all(re.fullmatch(r"Album 0[123] - [A-Z][a-z]+ [A-Z][a-z]+", a.name) for a in albums), albums
        for album in albums:
            tracks = list(album.iterdir())
            assert len(tracks) == 1
            assert re.fullmatch(r"01 [A-Z][a-z]+ [A-Z][a-z]+\.(mp3|flac|wav)", tracks[0].name)
    assert paths == sorted(root.rglob("*.*"))  # everything returned, sorted, and no temp files left
    assert len(paths) == 27


def test_mixes_containers_rates_and_channels(demo_library):
    _, paths = demo_library
    infos = [sf.info(str(p)) for p in paths]
    assert {p.suffix for p in paths} == {".mp3", ".flac", ".wav"}
    counts = Counter(p.suffix for p in paths)
    assert counts[".mp3"] == max(counts.values())  # MP3 is the commonest
    assert {i.samplerate for i in infos} <= {44100, 48000, 32000, 22050}
    assert len({i.samplerate for i in infos}) >= 3
    assert {i.channels for i in infos} == {1, 2}
    for path, info in zip(paths, infos):
        expected = {".mp3": "MP3", ".flac": "FLAC", ".wav": "WAV"}[path.suffix]
        assert info.format == expected
        if expected != "MP3":
            assert info.subtype == "PCM_16"


def test_mp3s_are_about_128_kbps(demo_library):
    _, paths = demo_library
    for path in (p for p in paths if p.suffix == ".mp3"):
        kbps = path.stat().st_size * 8 / 1000 / sf.info(str(path)).duration
        assert 120 < kbps < 136, (path, kbps)


def test_durations_are_music_plus_lead_in_and_out(demo_library):
    _, paths = demo_library
    low, high = TINY["track_seconds"]
    for path in paths:
        seconds = sf.info(str(path)).duration
        assert low + 2.0 - 0.1 <= seconds <= high + 6.0 + 0.1, (path, seconds)


def test_peaks_are_between_minus_6_and_minus_1_dbfs(demo_library):
    _, paths = demo_library
    for path in paths:
        audio, _ = sf.read(str(path), always_2d=True)
        peak_db = 20 * np.log10(np.max(np.abs(audio)))
        # -6..-1 dBFS as mastered; MP3 coding may move the decoded peak a little.
        assert -6.5 < peak_db < -0.5, (path, peak_db)


def test_tracks_start_and_end_with_a_second_of_silence(demo_library):
    _, paths = demo_library
    for path in paths:
        audio, sr = sf.read(str(path), always_2d=True)
        frame = sr // 50  # 20 ms
        m = len(audio) // frame
        peaks = np.abs(audio[: m * frame]).reshape(m, frame, -1).max(axis=(1, 2))
        loud = np.flatnonzero(peaks > 10 ** (-60 / 20))
        assert loud[0] * frame / sr >= 1.0, path
        assert (m - 1 - loud[-1]) * frame / sr >= 1.0, path
