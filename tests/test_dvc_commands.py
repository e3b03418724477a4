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
