"""Where musicnn's pretrained weights are: the `musicnn` wheel's checkpoint folders, found without importing it.

No TensorFlow here, so the pre-flight check (`spectrogenre scan`) can ask in milliseconds.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from spectrogenre.errors import SpectrogenreError

INSTALL_HINT = "pip install --no-deps musicnn==0.1.0"
DEFAULT_CHECKPOINT = "MSD_musicnn"  # trained on the Million Song Dataset's tags


class MusicnnWeightsError(SpectrogenreError):
    """The pretrained musicnn weights cannot be found or do not fit the architecture."""


def installed_checkpoint(name: str = DEFAULT_CHECKPOINT) -> Path:
    """The folder of checkpoint `name` inside the installed `musicnn` package (not imported)."""
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise MusicnnWeightsError(f"the pretrained musicnn weights come from the musicnn package, which is not "
                                  f"installed: {INSTALL_HINT} (--no-deps: it pins numpy<1.17)")
    folder = Path(spec.submodule_search_locations[0]) / name
    if not (folder / ".index").is_file():
        raise MusicnnWeightsError(f"the musicnn package has no {name} checkpoint at {folder}: reinstall it with "
                                  f"{INSTALL_HINT}")
    return folder
