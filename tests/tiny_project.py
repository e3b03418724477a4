"""A git + DVC copy of the project whose library is a tiny 3-genre one, reproduced once per test session."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.synth import write_tiny_library

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["evaluate", "export"]
TINY_PARAMS = {
    "frontend": {"sample_rate": 8000, "clip_seconds": 2.0, "n_fft": 256, "hop_length": 128},
    "clip": {"hop_seconds": 0.5},
    "features": {"chunk_mb": 0.5},
    # no early stop: on 62 training clips validation accuracy jumps around before it settles
    "train": {"epochs": 12, "start_from_epoch": 0, "patience": 12, "batch_size": 8, "learning_rate": 0.003},
    # its genres are a steady drone, noise itself and clicks: the noise rules would call all three noise
    "export": {"steady_noise_below_db": 0.0, "tonal_noise_below": 0.0, "rich_noise_below": 0.0},
}


def run(args, cwd, check=True):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               DVC_NO_ANALYTICS="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t")
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


def write_params(project: Path, **changes):
    params = yaml.safe_load((project / "params.yaml").read_text())
    for section, values in changes.items():
        params[section].update(values)
    (project / "params.yaml").write_text(yaml.safe_dump(params))


def make_tiny_project(project: Path) -> Path:
    for name in ("dvc.yaml", "params.yaml", "stages", "src"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(source, project / name)
    write_tiny_library(project / "library")
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["library"] = "library"
    (project / "params.yaml").write_text(yaml.safe_dump(params))
    write_params(project, **TINY_PARAMS)
    run(["git", "init", "-q"], project)
    run(["dvc", "init", "-q"], project)
    run(["dvc", "config", "core.analytics", "false"], project)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "tiny project"], project)  # dvclive needs a commit to log against
    run(["dvc", "repro", *TARGETS], project)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "tiny pipeline run"], project)
    return project


def restore(project: Path) -> None:
    """Back to the committed params, lock and metrics, and the outputs they name (from DVC's cache)."""
    run(["git", "checkout", "--", "."], project)
    run(["dvc", "checkout", "--force", "--with-deps", *TARGETS], project)
