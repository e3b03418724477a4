import os

import pytest

from tests.synth import write_tiny_library

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture
def tiny_library(tmp_path):
    """3 genres x 3 albums x 2 tracks of 1.5 s silence + 6 s sound + 1.5 s silence at 16 kHz."""
    root = tmp_path / "library"
    write_tiny_library(root)
    return root
