"""The benchmarks keep working: the quick mode's smallest figure (audio to features) through bench/run.py."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quick_audio_to_features(tmp_path):
    out = tmp_path / "results"
    subprocess.run([sys.executable, "bench/run.py", "--quick", "--only", "audio_to_features",
                    "--work", str(tmp_path / "work"), "--out", str(out)], cwd=ROOT, check=True, timeout=120)
    figure = json.loads((out / "results.json").read_text())["figures"]["audio_to_features"]
    assert set(figure["sides"]) == {"naive", "pipeline"}
    assert all(side["seconds"] > 0 and side["x_real_time"] > 0 for side in figure["sides"].values())
    stages = list(figure["sides"]["pipeline"]["stages"])
    assert stages[0] == "concat" and stages[-1] == "features"
    assert "| 1 audio to features |" in (out / "results.md").read_text()
    # where the CPU time goes: decoding is timed once for both recipes, the cached FLAC is the pipeline's alone
    steps = figure["steps"]
    assert steps["decode to mono"]["naive"] == steps["decode to mono"]["pipeline"] > 0
    assert set(steps["cached 16-bit FLAC genre file: write, read back"]) == {"pipeline"}
    assert "Where the CPU time goes" in (out / "results.md").read_text()
