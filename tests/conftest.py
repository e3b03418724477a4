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


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory):
    """The pipeline reproduced on the tiny library (see tests/tiny_project.py); its export is data/export."""
    from tests.tiny_project import make_tiny_project

    return make_tiny_project(tmp_path_factory.mktemp("project"))


@pytest.fixture
def ctrl_c_reaches_python():
    """SIGINT handled as Python does in a terminal (KeyboardInterrupt): a job started in the background by a
    non-interactive shell (as CI may run the tests) inherits SIGINT ignored, and Ctrl-C never reaches it."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
