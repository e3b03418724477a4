"""dvc.yaml's commands take the library's path as one argument, whatever its name: DVC pastes `${library}`
into the command as text, and the shell would split "My Music" in two and stop at "Bob's Music"."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


@pytest.mark.parametrize("library", ["/home/ann/My Music", "/home/bob/Bob's Music", "/srv/music (flac) & more"])
@pytest.mark.parametrize("stage", [name for name, stage in STAGES.items() if "${library}" in stage["cmd"]])
def test_the_library_path_is_one_argument(stage, library):
    argv = shlex.split(STAGES[stage]["cmd"].replace("${library}", library))
    assert argv[argv.index("--library") + 1] == library
