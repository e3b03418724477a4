"""dvc.yaml's commands paste no param into the shell: DVC pastes `${...}` into a command as text, where the
shell would split "My Music" in two and read a quote, `$HOME` or a backtick in a library's path.
The stages read params.yaml themselves (tests/test_pipeline.py runs one on such a path)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_no_command_interpolates_a_param():
    assert [name for name, stage in STAGES.items() if "${" in stage["cmd"]] == []


def test_the_stages_reading_the_library_rerun_when_it_changes():
    reading = [name for name in STAGES if "params.library" in (ROOT / "stages" / f"{name}.py").read_text()]
    assert reading == ["demo", "scan", "concat"]  # demo: to generate itself only where it is the library
    assert all("library" in STAGES[name]["params"] for name in reading)


def test_the_pr_workflow_installs_what_the_whole_pipeline_needs_before_running_it():
    # its `dvc exp run`s run every stage, the app last, which stops without the vendored runtime (README's install)
    steps = yaml.safe_load((ROOT / ".github/workflows/pr-report.yml").read_text())["jobs"]["report"]["steps"]
    runs = [step.get("run", "") for step in steps]
    first_exp = next(i for i, run in enumerate(runs) if "dvc exp run" in run)
    assert any("pip install -e" in run and "-c constraints.txt" in run for run in runs[:first_exp])
    assert any("bash web/vendor.sh" in run for run in runs[:first_exp])


PAGES_STEP = next(step for step in yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text())["jobs"]["build"]
                  ["steps"] if step.get("name") == "The exported model, then the site")


def _pages_step(tmp_path: Path, *, remote: str, library: str) -> tuple[int, str, list[str]]:
    """Run the Pages workflow's build step in tmp_path with a `dvc` that records its calls."""
    import os
    import subprocess

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dvc"
    fake.write_text('#!/bin/sh\necho "$*" >> "$CALLS"\n[ "$1 $2" = "remote list" ] && printf "%s" "$REMOTE"\nexit 0\n')
    fake.chmod(0o755)
    (tmp_path / "params.yaml").write_text(f"library: {library}\nsource:\n  layout: folders\n")
    env = os.environ | {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(tmp_path / "calls"),
                        "REMOTE": remote, "RUNNER_TEMP": str(tmp_path)}
    done = subprocess.run(["bash", "-e", "-c", PAGES_STEP["run"]], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=30, check=False)
    return done.returncode, done.stdout, (tmp_path / "calls").read_text().splitlines()


def test_pages_pulls_the_pushed_site_where_a_remote_is_set(tmp_path):
    code, _, calls = _pages_step(tmp_path, remote="store\ts3://bucket/x", library="/home/me/Music")
    assert (code, calls) == (0, ["remote list", "pull app"])


def test_pages_builds_the_demo_site_without_a_remote(tmp_path):
    code, _, calls = _pages_step(tmp_path, remote="", library="data/demo_library")
    assert (code, calls) == (0, ["remote list", "repro app"])


def test_pages_stops_saying_why_for_a_library_elsewhere_without_a_remote(tmp_path):
    # the runner has no /home/me/Music: building would fail in the scan, far from the cause
    code, out, calls = _pages_step(tmp_path, remote="", library="/home/me/Music")
    assert (code, calls) == (1, ["remote list"])
    assert "no DVC remote is set" in out and "dvc push" in out
