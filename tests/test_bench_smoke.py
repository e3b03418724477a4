"""The benchmarks keep working: the quick mode's smallest figure (audio to features) through bench/run.py."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_quick_audio_to_features(tmp_path):
    out = tmp_path / "results"
    subprocess.run([sys.executable, "bench/run.py", "--quick", "--only", "audio_to_features",
                    "--work", str(tmp_path / "work"), "--out", str(out)], cwd=ROOT, check=True, timeout=120)
    figure = json.loads((out / "results.json").read_text())["figures"]["audio_to_features"]
    assert set(figure["sides"]) == {"naive", "pipeline"}
    assert all(side["seconds"] > 0 and side["x_real_time"] > 0 for side in figure["sides"].values())
    stages = list(figure["sides"]["pipeline"]["stages"])
    assert stages[:2] == ["scan", "concat"] and stages[-1] == "features"
    assert "| 1 audio to features |" in (out / "results.md").read_text()
    # where the CPU time goes: decoding is timed once for both recipes, the cached FLAC is the pipeline's alone
    steps = figure["steps"]
    assert steps["decode to mono"]["naive"] == steps["decode to mono"]["pipeline"] > 0
    assert set(steps["cached 16-bit FLAC genre file: write, read back"]) == {"pipeline"}
    assert "Where the CPU time goes" in (out / "results.md").read_text()


def test_scale_judges_the_whole_pipeline_and_the_stages_that_grow():
    from bench.scale import summarise

    memory = [100.0, 100.0, 100.0, 104.0]
    summary = summarise([1, 2, 4, 8], {
        "decode": {"seconds": [10.0, 20.0, 40.0, 80.0], "cpu_seconds": [10.0, 20.0, 40.0, 80.0],
                   "peak_rss_mb": memory},
        "start-up": {"seconds": [3.0, 2.0, 4.0, 3.0], "cpu_seconds": [3.0, 3.0, 3.0, 3.0], "peak_rss_mb": memory},
    })
    decode, start_up = summary["stages"]["decode"], summary["stages"]["start-up"]
    # 10 s per factor, no fixed part: the line fits exactly and grows 8x from x1 to x8
    fit = decode["wall_fit"]
    assert (fit["per_factor"], fit["fixed"], fit["max_deviation"]) == (10, 0, 0)
    assert decode["grows"] and decode["wall_fit"]["linear"]
    # 3 s give or take a second at every size: fixed cost, and 2 s vs a line near 3 s is far off it
    assert not start_up["grows"] and not start_up["wall_fit"]["linear"]
    # the sum 13, 22, 44, 83 s: about 10 s per factor on 3 s, the start-up noise a few % of it
    assert summary["pipeline"]["seconds"] == [13.0, 22.0, 44.0, 83.0]
    assert summary["pipeline"]["wall_fit"]["linear"]
    assert decode["peak_rss_growth"] == 0.04 and decode["flat"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the fuzzer's seeds are encoded by ffmpeg")
def test_the_decode_fuzzer_runs_its_cases_the_same_for_the_same_seed(tmp_path):
    def fuzz(name):
        out = tmp_path / f"{name}.json"
        subprocess.run([sys.executable, "-m", "bench.fuzz_decode", "--cases", "6", "--seed", "3", "--seed-seconds", "2",
                        "--formats", "wav16,flac,mp3_cbr,ogg_vorbis", "--entries", "decode,tags,scan",
                        "--work", str(tmp_path / name), "--out", str(out)], cwd=ROOT, check=True, timeout=300,
                       capture_output=True)
        return json.loads(out.read_text())

    def recipes(report):
        return [(c["seed_file"], c["mutation"], c["what"], {e: r["outcome"] for e, r in c["results"].items()})
                for c in report["cases"]]

    first, again = fuzz("first"), fuzz("again")
    assert first["cases_run"] == 6 and set(first["outcomes"]) == {"decode", "tags", "scan"}
    assert all(sum(counts.values()) == 6 for counts in first["outcomes"].values())
    # the seeds (bit-exact encodes), the mutants and so their outcomes follow from --seed alone
    assert first["seed_files"] == again["seed_files"]
    assert recipes(first) == recipes(again)
    # the four formats' seeds and their tagged variants (ID3 with a cover, Vorbis comments, RIFF INFO), in turn
    assert sorted(first["seed_files"]) == ["flac", "flac_vorbis_cover", "mp3_cbr", "mp3_id3_cover", "ogg_vorbis",
                                           "ogg_vorbis_tags", "wav16", "wav_id3", "wav_info"]
    assert [c["seed_file"] for c in first["cases"]] == sorted(first["seed_files"])[:6]


def test_the_first_request_bench_times_each_request_both_ways(tiny_project):
    from bench.first_request import first_requests

    track = tiny_project / "library" / "Noise" / "Album 0" / "01 Track.wav"
    for warm in (True, False):
        seconds = first_requests(tiny_project / "data/export", track, workers=2, warm=warm)
        assert len(seconds) == 3 and all(s > 0 for s in seconds)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the fuzzer's seeds are encoded by ffmpeg")
@pytest.mark.parametrize("phase", ["write", "undo"])
def test_the_tag_fuzzer_writes_undoes_and_checks_its_cases_the_same_for_the_same_seed(tmp_path, phase):
    def fuzz(name):
        out = tmp_path / f"{name}.json"
        subprocess.run([sys.executable, "-m", "bench.fuzz_tag", "--cases", "4", "--seed", "3", "--seed-seconds", "1",
                        "--formats", "mp3_cbr,flac", "--phase", phase, "--work", str(tmp_path / name), "--out",
                        str(out)], cwd=ROOT, check=True, timeout=300, capture_output=True)
        return json.loads(out.read_text())

    first, again = fuzz("first"), fuzz("again")
    assert first["cases_run"] == 4 and first["phase"] == phase
    # the mutants and so their outcomes follow from --seed alone
    assert [(c["sha256"], c["outcome"]) for c in first["cases"]] == [(c["sha256"], c["outcome"]) for c in again["cases"]]
    assert [c["seed_file"] for c in first["cases"]] == ["flac", "flac_vorbis_cover", "mp3_cbr", "mp3_id3_cover"]
    # every case answered as documented: nothing escaped, no invariant broken
    assert first["findings"] == []
    assert set(first["outcomes"]) <= {"written", "error", "skip", "restored"}


def test_track_pooling_pools_whole_windows_or_the_whole_track():
    from bench.track_pooling import examples

    embedded = [np.arange(12, dtype=float).reshape(12, 1), np.full((5, 1), 3.0)]
    windows, window_tracks = examples(embedded, np.array([0, 1]), whole_tracks=False)
    # track 0: patches 0-4 and 5-9 (its last 2 make no window), track 1: one window of 3s
    np.testing.assert_allclose(windows, [[2.0, np.sqrt(2.0)], [7.0, np.sqrt(2.0)], [3.0, 0.0]])
    assert window_tracks.tolist() == [0, 0, 1]
    whole, whole_tracks = examples(embedded, np.array([0]), whole_tracks=True)
    np.testing.assert_allclose(whole, [[5.5, np.sqrt(143 / 12)]])  # the variance of 0..11: (12^2 - 1) / 12
    assert whole_tracks.tolist() == [0]
