import logging

import pytest

from spectrogenre.quiet import import_tensorflow_quietly


@pytest.fixture
def tensorflow_logger():
    logger = logging.getLogger("tensorflow")
    level = logger.level
    yield logger
    logger.setLevel(level)


def test_tensorflows_own_warnings_are_held_back_unless_verbose(monkeypatch, tensorflow_logger):
    monkeypatch.delenv("SPECTROGENRE_VERBOSE", raising=False)
    import_tensorflow_quietly()
    # "5 out of the last 8 calls to ... triggered tf.function retracing", in a training with a few fold models
    assert not tensorflow_logger.isEnabledFor(logging.WARNING) and tensorflow_logger.isEnabledFor(logging.ERROR)
    monkeypatch.setenv("SPECTROGENRE_VERBOSE", "1")
    import_tensorflow_quietly()
    assert tensorflow_logger.isEnabledFor(logging.WARNING)
