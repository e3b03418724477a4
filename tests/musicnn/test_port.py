"""The Keras port against the original musicnn (MSD_musicnn) on the same audio: tests/golden/musicnn_msd.npz.

The golden outputs were recorded by tools/musicnn_golden.py from the original TF1 code;
this test needs only the weights, from `pip install --no-deps musicnn`.
"""

from pathlib import Path

import numpy as np
import pytest

from spectrogenre.musicnn.checkpoint import MusicnnWeightsError, installed_checkpoint, load_musicnn
from spectrogenre.musicnn.classifier import clip_embedder
from spectrogenre.musicnn.embedding import clip_embedding, predict_patches
from spectrogenre.musicnn.frontend import log_mel, patches
from tests.musicnn.chirp import chirp_and_noise

GOLDEN = Path(__file__).parents[1] / "golden" / "musicnn_msd.npz"
TOLERANCE = 1e-4

try:
    CHECKPOINT = installed_checkpoint()
except MusicnnWeightsError as err:
    pytest.skip(f"no pretrained weights to compare: {err}", allow_module_level=True)


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN) as data:
        return dict(data)


@pytest.fixture(scope="module")
def musicnn():
    return load_musicnn(CHECKPOINT)


@pytest.fixture(scope="module")
def port_outputs(golden, musicnn):
    audio = chirp_and_noise(float(golden["seconds"]), sr=int(golden["sample_rate"]), seed=int(golden["seed"]))
    # The input is regenerated, not stored: check it is the audio the original saw.
    np.testing.assert_allclose(audio[:: int(golden["probe_step"])], golden["audio_probe"], atol=1e-6)
    return predict_patches(patches(log_mel(audio)), musicnn)


@pytest.mark.parametrize("output", ["embedding", "taggram"])
def test_port_matches_the_original_musicnn(golden, port_outputs, output):
    expected, actual = golden[output], port_outputs[output]
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() <= TOLERANCE


def test_classifier_pools_the_clip_embedding(musicnn):
    audio = chirp_and_noise(15.0, seed=1)
    spectrogram = log_mel(audio).T[np.newaxis]
    pooled = clip_embedder(spectrogram.shape[1:], musicnn)
    assert np.abs(pooled.predict_on_batch(spectrogram)[0] - clip_embedding(audio, model=musicnn)).max() <= TOLERANCE
