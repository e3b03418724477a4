"""A tiny generated demo library shared by the tests of this folder (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spectrogenre.demo import generate_demo_library

# 9 genres x 3 albums x 1 track of 8-10 s of music (+ 2-6 s of lead-in/out silence).
TINY = {"albums_per_genre": 3, "tracks_per_album": 1, "track_seconds": (8.0, 10.0)}


@pytest.fixture(scope="session")
def demo_library(tmp_path_factory) -> tuple[Path, list[Path]]:
    """(root, written paths) of the tiny demo library with seed 0."""
    root = tmp_path_factory.mktemp("demo") / "library"
    return root, generate_demo_library(root, seed=0, **TINY)
