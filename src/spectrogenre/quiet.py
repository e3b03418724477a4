"""Quiet by default: third-party libraries' banners and INFO lines stay out of what a user sees.

SPECTROGENRE_VERBOSE=1 (or `--verbose`) lets them through.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Iterator

_native_stderr = threading.Lock()


def verbose() -> bool:
    return os.environ.get("SPECTROGENRE_VERBOSE", "") not in ("", "0")


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Native code's writes to file descriptor 2 go nowhere for the duration (C++ logging that has no
    switch, such as LiteRT's "Created TensorFlow Lite XNNPACK delegate"); Python's own stderr is kept."""
    if verbose():
        yield
        return
    with _native_stderr:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def stdout_silenced() -> Iterator[None]:
    """Python-level prints of a library (TensorFlow's converter lists every captured tensor) are dropped."""
    if verbose():
        yield
        return
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with native stderr silenced (its load-time log lines ignore TF_CPP_MIN_LOG_LEVEL), and
    its Python logger held to errors: its warnings are advice to TensorFlow's programmers (a predict function
    "retraced", as it is for each of a few small models predicting in turn), nothing a user can act on."""
    if "tensorflow" not in sys.modules:
        with native_stderr_silenced():
            import tensorflow  # noqa: F401
    logging.getLogger("tensorflow").setLevel(logging.WARNING if verbose() else logging.ERROR)
