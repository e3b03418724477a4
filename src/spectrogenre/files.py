"""Atomic writes of tables, JSON and arrays: a reader never sees a half-written output."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def read_csv(path: Path, **options) -> pd.DataFrame:
    """A table the pipeline wrote, every value as written: an album, artist or genre named "None", "NA",
    "null" or "NaN" is a name, not a missing value (pandas' default would drop its clips unannounced)."""
    import pandas as pd

    return pd.read_csv(path, keep_default_na=False, **options)


def write_json(data, path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def read_json(path: Path):
    return json.loads(Path(path).read_text())


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez(handle, **arrays)


def fresh_dir(path: Path) -> Path:
    """An empty output folder: DVC removes outputs before a stage runs, a manual run may not. Its .gitignore, DVC's
    list of the folder's outputs that the project commits, stays: removed, DVC writes it again as its own addition,
    which it takes back when a later stage of the same run fails, deleting the committed file."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        for entry in path.iterdir():
            if entry.name == ".gitignore":
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a file or a link where the folder goes
    path.mkdir(parents=True, exist_ok=True)
    return path
