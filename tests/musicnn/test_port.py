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


VGG_GOLDEN = Path(__file__).parents[1] / "golden" / "musicnn_msd_vgg.npz"


@pytest.fixture(scope="module")
def vgg_outputs():
    from spectrogenre.musicnn.vgg import load_vgg

    with np.load(VGG_GOLDEN) as data:
        golden = dict(data)
    audio = chirp_and_noise(float(golden["seconds"]), sr=int(golden["sample_rate"]), seed=int(golden["seed"]))
    np.testing.assert_allclose(audio[:: int(golden["probe_step"])], golden["audio_probe"], atol=1e-6)
    return golden, load_vgg().predict_on_batch(patches(log_mel(audio)))


@pytest.mark.parametrize("output", ["taggram", "pool4", "pool5"])
def test_vgg_port_matches_the_original_msd_vgg(vgg_outputs, output):
    golden, port = vgg_outputs
    expected, actual = golden[output], port[output].reshape(golden[output].shape)  # the original squeezes pool5
    scale = max(1.0, float(np.abs(expected).max()))  # pool4 reaches about 15: compare relative to its range
    assert np.abs(actual - expected).max() <= TOLERANCE * scale


def test_the_vgg_feature_is_pool4s_maximum_over_time_and_frequency(vgg_outputs):
    golden, port = vgg_outputs
    np.testing.assert_allclose(port["vgg"], golden["pool4"].max(axis=(1, 2)), atol=TOLERANCE * 15)
