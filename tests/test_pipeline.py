"""The whole pipeline through `dvc repro` on a tiny library, in a throw-away copy of the project."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.synth import write_tiny_library

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["evaluate", "export"]
TINY_PARAMS = {
    "frontend": {"sample_rate": 8000, "clip_seconds": 2.0, "n_fft": 256, "hop_length": 128},
    "clip": {"hop_seconds": 1.0},
    "features": {"shard_mb": 1},
    "split": {"chunk_mb": 0.5},
    "train": {"epochs": 8, "start_from_epoch": 2, "patience": 4, "batch_size": 16},
}


def run(args, cwd, check=True):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               DVC_NO_ANALYTICS="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def write_params(project: Path, **changes):
    params = yaml.safe_load((project / "params.yaml").read_text())
    for section, values in changes.items():
        params[section].update(values)
    (project / "params.yaml").write_text(yaml.safe_dump(params))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A git + DVC copy of the project whose library is the tiny 3-genre one, reproduced once."""
    project = tmp_path_factory.mktemp("project")
    for name in ("dvc.yaml", "params.yaml", "stages", "src"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(source, project / name)
    write_tiny_library(project / "library")
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["library"] = "library"
    for section, values in TINY_PARAMS.items():
        params[section].update(values)
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    run(["git", "init", "-q"], project)
    run(["dvc", "init", "-q"], project)
    run(["dvc", "config", "core.analytics", "false"], project)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "tiny project"], project)  # dvclive needs a commit to log against
    run(["dvc", "repro", *TARGETS], project)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "tiny pipeline run"], project)
    return project


def test_repro_writes_metrics_models_and_a_clean_leak_report(project):
    metrics = json.loads((project / "data/evaluate/metrics.json").read_text())
    assert set(metrics["clip"]) == {"train", "val", "test"}
    # sine vs clicks vs noise: easy, even for 8 epochs on 2-second clips
    assert metrics["clip"]["test"]["accuracy"] >= 0.8
    assert metrics["track"]["test"]["tracks"] == 6  # 1 test album x 2 tracks x 3 genres
    assert set(metrics["test_per_genre"]) == {"Clicks", "Drone", "Noise"}
    assert json.loads((project / "data/split/leak_report.json").read_text())["disjoint"] is True
    spec = json.loads((project / "data/export/spec.json").read_text())
    assert spec["labels"] == ["Clicks", "Drone", "Noise"]
    assert spec["frontend"]["shape"] == [129, 126]
    assert (project / "data/evaluate/confusion.csv").read_text().startswith("actual,predicted")
    assert (project / "data/train/live/plots/metrics/eval/accuracy.tsv").exists()


def test_float_tflite_matches_keras_within_1e_5_on_test_clips(project):
    import keras

    from spectrogenre.chunks import iter_batches
    from spectrogenre.litert import TFLiteModel

    dataset = json.loads((project / "data/split/dataset.json").read_text())
    keras_model = keras.models.load_model(project / "data/train/model.keras")
    tflite = TFLiteModel(project / "data/export/model.tflite")
    paths = [project / "data/split" / name for name in dataset["chunks"]["test"]]
    for x, _, _ in iter_batches(paths, batch_size=32):
        np.testing.assert_allclose(tflite.predict(x), keras_model.predict_on_batch(x), atol=1e-5)
    report = json.loads((project / "data/export/report.json").read_text())
    assert report["model.tflite"]["max_abs_diff"] <= 1e-5


def test_changing_min_silence_reruns_trim_and_after_but_not_concat(project):
    write_params(project, trim={"min_silence_s": 2.0})
    status = run(["dvc", "status", "--json", "--with-deps", *TARGETS], project).stdout
    changed = set(json.loads(status))
    assert "trim" in changed and "concat" not in changed
    out = run(["dvc", "repro", *TARGETS], project).stdout
    assert "Stage 'concat' didn't change, skipping" in out
    for stage in ("trim", "clip", "features", "split", "train", "evaluate", "export"):
        assert f"Running stage '{stage}'" in out
    run(["git", "checkout", "params.yaml"], project)


def test_dvc_exp_run_with_a_changed_param(project):
    out = run(["dvc", "exp", "run", *TARGETS, "-S", "train.epochs=3", "-S", "train.start_from_epoch=0"],
              project).stdout
    assert "Stage 'concat' didn't change, skipping" in out
    assert "Running stage 'train'" in out
    shown = json.loads(run(["dvc", "exp", "show", "--json"], project).stdout)
    baseline = next(row for row in shown if row["rev"] != "workspace")
    experiment = baseline["experiments"][0]["revs"][0]["data"]
    assert experiment["params"]["params.yaml"]["data"]["train"]["epochs"] == 3
    assert experiment["metrics"]["data/train/summary.json"]["data"]["epochs_run"] == 3
    assert baseline["data"]["metrics"]["data/train/summary.json"]["data"]["epochs_run"] == 8


def test_a_missing_library_fails_with_a_clear_message(project, tmp_path):
    result = run([sys.executable, "stages/concat.py", "--library", str(tmp_path / "nowhere"), "--out",
                  str(tmp_path / "out")], project, check=False)
    assert result.returncode == 1
    assert f"error: library path {tmp_path / 'nowhere'} does not exist" in result.stderr
