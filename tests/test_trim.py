import numpy as np
import pandas as pd
import pytest

from spectrogenre.params import TrimParams
from spectrogenre.trim import frame_levels_db, kept_intervals, silent_runs, trim_library
from tests.synth import scan_and_concat, silence, sine


def test_frame_levels_of_a_square_wave_and_of_silence():
    square = np.tile(np.array([0.1, -0.1], dtype=np.float32), 50)
    audio = np.concatenate([square, np.zeros(50, dtype=np.float32)])
    levels = frame_levels_db(audio, frame_length=40)
    # frames: [0,40) [40,80) -> RMS 0.1 = -20 dB; [80,120) half +-0.1 half 0 -> power 0.005 about its mean 0
    # = -23 dB; [120,150) silent
    np.testing.assert_allclose(levels[:3], [-20.0, -20.0, 10 * np.log10(0.005)], atol=1e-9)
    assert len(levels) == 4 and levels[3] == -np.inf


def test_a_constant_offset_is_not_sound():
    # the same square wave on a DC offset of 0.5 keeps its -20 dB; the offset alone is far below any threshold
    square = np.tile(np.array([0.1, -0.1], dtype=np.float32), 50)
    np.testing.assert_allclose(frame_levels_db(square + np.float32(0.5), frame_length=40), [-20.0, -20.0, -20.0],
                               atol=1e-6)
    assert (frame_levels_db(np.full(100, 0.5, dtype=np.float32), frame_length=40) < -200).all()


def test_silent_runs_are_maximal_runs_below_the_threshold():
    levels = np.array([-10, -80, -80, -10, -80, -10, -80, -80, -80])
    np.testing.assert_array_equal(silent_runs(levels, threshold_db=-50), [[1, 3], [4, 5], [6, 9]])


def test_only_silences_longer_than_the_minimum_are_removed():
    sr = 1000
    # 2 s tone, 1.5 s silence (removed), 2 s tone, 0.5 s silence (kept: a cue), 2 s tone
    audio = np.concatenate([sine(2, sr=sr, freq=50), silence(1.5, sr=sr), sine(2, sr=sr, freq=50),
                            silence(0.5, sr=sr), sine(2, sr=sr, freq=50)])
    levels = frame_levels_db(audio, frame_length=10)
    kept = kept_intervals(levels, n_samples=len(audio), frame_length=10, threshold_db=-50,
                          min_silence_samples=1000)
    np.testing.assert_array_equal(kept, [[0, 2000], [3500, 8000]])
    assert (kept[:, 1] - kept[:, 0]).sum() == 6500  # 8 s minus the 1.5 s silence


def test_leading_and_trailing_silences_go_too():
    audio = np.concatenate([silence(2, sr=100), sine(1, sr=100, freq=10), silence(3, sr=100)])
    kept = kept_intervals(frame_levels_db(audio, frame_length=5), n_samples=len(audio), frame_length=5,
                          threshold_db=-50, min_silence_samples=100)
    np.testing.assert_array_equal(kept, [[200, 300]])


def test_trim_stage_on_the_tiny_library(tiny_library, tmp_path):
    scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000)
    kept = trim_library(tmp_path / "concat", tmp_path / "trim", TrimParams(min_silence_s=1.0))
    drone = kept[kept["genre_file"] == "genre-001.flac"]
    # 6 tracks, each 6 s of tone between 1.5 s silences: 3 s gaps between tracks go
    assert len(drone) == 6
    assert ((drone["end"] - drone["start"]) / 8000).round(2).tolist() == [6.0] * 6
    off = trim_library(tmp_path / "concat", tmp_path / "trim-off", TrimParams(enabled=False))
    assert off.groupby("genre_file").size().tolist() == [1, 1, 1]
    parallel = trim_library(tmp_path / "concat", tmp_path / "trim-2", TrimParams(min_silence_s=1.0), jobs=2)
    pd.testing.assert_frame_equal(parallel, kept)
    assert (tmp_path / "trim-2/summary.json").read_text() == (tmp_path / "trim/summary.json").read_text()


@pytest.mark.parametrize("min_silence_s, expected_intervals", [(1.0, 6), (4.0, 1)])
def test_min_silence_decides_which_gaps_go(tiny_library, tmp_path, min_silence_s, expected_intervals):
    scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000)
    kept = trim_library(tmp_path / "concat", tmp_path / "trim", TrimParams(min_silence_s=min_silence_s))
    assert (kept["genre_file"] == "genre-001.flac").sum() == expected_intervals
    assert isinstance(kept, pd.DataFrame)
