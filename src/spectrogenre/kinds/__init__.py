"""The model kinds, one module each, registered here: adding a kind is one module and one entry."""

from __future__ import annotations

from spectrogenre.errors import ParamsError
from spectrogenre.kinds import mfcc_logreg, musicnn, seed_cnn
from spectrogenre.kinds.base import ModelKind

KINDS: dict[str, ModelKind] = {kind.name: kind for kind in (seed_cnn.KIND, mfcc_logreg.KIND, musicnn.KIND)}


def get(name: str) -> ModelKind:
    """The kind called `name`; ParamsError naming the known kinds otherwise."""
    if name not in KINDS:
        raise ParamsError(f"model.kind must be one of {tuple(KINDS)}, got {name!r}")
    return KINDS[name]
