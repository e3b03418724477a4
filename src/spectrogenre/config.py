"""params.yaml as the stages use it: its typed sections (params.py), the model kind checked against the
registry (kinds/) and its front end in place (a pretrained kind fixes its own: one param switches both)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from spectrogenre.kinds import get
from spectrogenre.params import Params, parse_sections, read_sections


def with_kind(params: Params) -> Params:
    """`params` with model.kind known (ParamsError otherwise) and the front end that kind reads."""
    return dataclasses.replace(params, frontend=get(params.model.kind).frontend(params.frontend))


def load_params(path: Path = Path("params.yaml")) -> Params:
    """Read and validate params.yaml; raises ParamsError naming any bad or unknown key or kind."""
    return with_kind(read_sections(path))


def parse_params(raw: dict, *, source: str = "params") -> Params:
    return with_kind(parse_sections(raw, source=source))


def kind_requirement(params: Params) -> str | None:
    """What params' model kind needs that this machine lacks, with the fix; None when nothing is missing."""
    return get(params.model.kind).requirement()
