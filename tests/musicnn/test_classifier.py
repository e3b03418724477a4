"""The musicnn genre classifier plugs into train/evaluate/export like the seed CNN: untrained weights suffice here."""

import keras
import numpy as np
import pytest

from spectrogenre.export import to_tflite
from spectrogenre.litert import TFLiteModel
from spectrogenre.musicnn.architecture import build_musicnn
from spectrogenre.musicnn.classifier import build_musicnn_classifier
from spectrogenre.musicnn.frontend import log_mel
from tests.synth import sine

INPUT_SHAPE = (96, 938)  # a 15 s clip at 16 kHz, as the front end lays it out: (bands, frames)


@pytest.fixture(scope="module")
def classifier():
    return build_musicnn_classifier(INPUT_SHAPE, 3, backbone=build_musicnn())


def clips(n: int) -> np.ndarray:
    return np.stack([log_mel(sine(15.0, freq=220.0 * (i + 1), sr=16000)).T for i in range(n)])


def test_only_the_head_trains_unless_fine_tuning(classifier):
    assert sum(int(np.prod(w.shape)) for w in classifier.trainable_weights) == 200 * 3 + 3
    fine_tuned = build_musicnn_classifier(INPUT_SHAPE, 3, backbone=build_musicnn(), fine_tune=True)
    assert len(fine_tuned.trainable_weights) > 2


def test_probabilities_survive_save_load_and_tflite(classifier, tmp_path):
    x = clips(2)
    expected = classifier.predict_on_batch(x)
    assert expected.shape == (2, 3)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0, atol=1e-6)
    classifier.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(reloaded.predict_on_batch(x), expected)
    (tmp_path / "model.tflite").write_bytes(to_tflite(reloaded, quantise=False))
    assert np.abs(TFLiteModel(tmp_path / "model.tflite").predict(x) - expected).max() <= 1e-5


def test_clips_shorter_than_a_patch_or_not_96_bands_are_refused():
    with pytest.raises(ValueError, match="log-mel clips"):
        build_musicnn_classifier((96, 100), 3, backbone=build_musicnn())
    with pytest.raises(ValueError, match="log-mel clips"):
        build_musicnn_classifier((128, 938), 3, backbone=build_musicnn())
