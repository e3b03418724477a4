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
    assert reading == ["scan", "concat"]
    assert all("library" in STAGES[name]["params"] for name in reading)


def test_the_pr_workflow_installs_what_the_whole_pipeline_needs_before_running_it():
    # its `dvc exp run`s run every stage, the app last, which stops without the vendored runtime (README's install)
    steps = yaml.safe_load((ROOT / ".github/workflows/pr-report.yml").read_text())["jobs"]["report"]["steps"]
    runs = [step.get("run", "") for step in steps]
    first_exp = next(i for i, run in enumerate(runs) if "dvc exp run" in run)
    assert any("pip install -e" in run and "-c constraints.txt" in run for run in runs[:first_exp])
    assert any("bash web/vendor.sh" in run for run in runs[:first_exp])
