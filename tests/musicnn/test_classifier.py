"""musicnn classifiers plug into train/evaluate/export like the seed CNN: untrained weights suffice here."""

import keras
import numpy as np
import pytest

from spectrogenre.export import to_tflite
from spectrogenre.heads import LogisticHead, attach_head
from spectrogenre.litert import TFLiteModel
from spectrogenre.musicnn.architecture import build_musicnn
from spectrogenre.musicnn.classifier import (
    clip_embedder,
    pooled_patches,
    top_layers,
    track_statistics,
    write_top_weights,
)
from spectrogenre.musicnn.frontend import log_mel
from spectrogenre.musicnn.vgg import build_vgg
from tests.synth import sine

INPUT_SHAPE = (96, 938)  # a 15 s clip at 16 kHz, as the front end lays it out: (bands, frames) -> 5 patches


@pytest.fixture(scope="module")
def backbone():
    keras.utils.set_random_seed(0)
    return build_musicnn()


@pytest.fixture(scope="module")
def vgg():
    keras.utils.set_random_seed(1)
    return build_vgg()


def clips(n: int) -> np.ndarray:
    return np.stack([log_mel(sine(15.0, freq=220.0 * (i + 1), sr=16000)).T for i in range(n)])


def head(n_genres: int = 3) -> LogisticHead:
    rng = np.random.default_rng(0)
    return LogisticHead(mean=rng.standard_normal(200).astype(np.float32), scale=np.ones(200, np.float32),
                        weights=rng.standard_normal((200, n_genres)).astype(np.float32) * 0.1,
                        bias=np.zeros(n_genres, np.float32))


def test_the_embedder_is_frozen_and_the_top_layers_rebuild_its_embedding(backbone):
    embedder = clip_embedder(INPUT_SHAPE, backbone)
    assert not embedder.trainable_weights
    x = clips(2)
    pooled = pooled_patches(INPUT_SHAPE, backbone).predict_on_batch(x)
    assert pooled.shape == (2, 5, 1506)  # 5 whole patches of 187 frames; 753 features, max and mean
    top = top_layers(backbone, n_patches=5)
    np.testing.assert_allclose(top.predict_on_batch(pooled), embedder.predict_on_batch(x), atol=1e-4)


def test_fine_tuned_top_weights_go_back_into_the_backbone(backbone):
    top = top_layers(backbone, n_patches=5)
    kernel, bias = top.get_layer("penultimate").get_weights()
    top.get_layer("penultimate").set_weights([kernel * 2, bias + 1])
    write_top_weights(top, build := build_musicnn())
    np.testing.assert_array_equal(build.get_layer("penultimate").get_weights()[0], kernel * 2)


def test_probabilities_survive_save_load_and_tflite(backbone, tmp_path):
    classifier = attach_head(clip_embedder(INPUT_SHAPE, backbone), head(), name="musicnn")
    x = clips(2)
    expected = classifier.predict_on_batch(x)
    assert expected.shape == (2, 3)
    np.testing.assert_allclose(expected.sum(axis=1), 1.0, atol=1e-6)
    classifier.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(reloaded.predict_on_batch(x), expected)
    (tmp_path / "model.tflite").write_bytes(to_tflite(reloaded, quantise=False))
    assert np.abs(TFLiteModel(tmp_path / "model.tflite").predict(x) - expected).max() <= 1e-5


@pytest.mark.parametrize("names, pooling, width", [
    (("embedding",), "mean_std", 400), (("taggram",), "mean", 50), (("midend",), "mean", 1506),
    (("embedding", "taggram"), "mean_std", 500), (("vgg",), "mean", 128), (("embedding", "vgg"), "mean_std", 656),
])
def test_other_layers_and_pooling_are_the_patches_statistics(backbone, vgg, names, pooling, width, tmp_path):
    x = clips(2)
    embedder = clip_embedder(INPUT_SHAPE, backbone, names=names, pooling=pooling, vgg=vgg)
    features = embedder.predict_on_batch(x)
    assert features.shape == (2, width)
    patches = pooled_patches(INPUT_SHAPE, backbone)  # the same 5 patches, through the named layers one by one
    one_by_one = x.transpose(0, 2, 1)[:, :935].reshape(10, 187, 96)
    layer_of = {"embedding": backbone.output["embedding"], "taggram": backbone.output["taggram"],
                "midend": backbone.get_layer("pooled").output}
    per_patch = np.concatenate([(vgg.predict_on_batch(one_by_one)["vgg"] if name == "vgg" else
                                 keras.Model(backbone.input, layer_of[name]).predict_on_batch(one_by_one))
                                for name in names], axis=-1).reshape(2, 5, -1)
    assert patches.output.shape[1] == 5
    expected = per_patch.mean(axis=1)
    if pooling == "mean_std":
        expected = np.concatenate([expected, per_patch.std(axis=1)], axis=-1)
    np.testing.assert_allclose(features, expected, atol=1e-4)
    embedder.save(tmp_path / "embedder.keras")  # the patch statistics layer survives save and load
    from spectrogenre.model import load_classifier

    np.testing.assert_allclose(load_classifier(tmp_path / "embedder.keras").predict_on_batch(x), features, atol=1e-6)


def test_the_vgg_layer_needs_the_vgg_network(backbone):
    with pytest.raises(ValueError, match="vgg network"):
        clip_embedder(INPUT_SHAPE, backbone, names=("embedding", "vgg"))


def test_the_vgg_feature_is_the_fourth_blocks_maximum(vgg):
    outputs = vgg.predict_on_batch(clips(1).transpose(0, 2, 1)[:, :187])
    assert outputs["pool4"].shape == (1, 11, 6, 128) and outputs["pool5"].shape == (1, 2, 1, 128)
    np.testing.assert_array_equal(outputs["vgg"][0], outputs["pool4"][0].max(axis=(0, 1)))
    assert outputs["taggram"].shape == (1, 50) and ((outputs["taggram"] > 0) & (outputs["taggram"] < 1)).all()


def test_clips_shorter_than_a_patch_or_not_96_bands_are_refused(backbone):
    with pytest.raises(ValueError, match="log-mel clips"):
        clip_embedder((96, 100), backbone)
    with pytest.raises(ValueError, match="log-mel clips"):
        pooled_patches((128, 938), backbone)


def test_the_top_layers_pool_as_the_embedder_does(backbone):
    x = clips(2)
    pooled = pooled_patches(INPUT_SHAPE, backbone).predict_on_batch(x)
    top = top_layers(backbone, n_patches=5, pooling="mean_std")
    np.testing.assert_allclose(top.predict_on_batch(pooled),
                               clip_embedder(INPUT_SHAPE, backbone, pooling="mean_std").predict_on_batch(x), atol=1e-4)


def test_track_statistics_by_hand():
    # track "a": two clips of patches [1, 3] and [5, 7]: mean 4, std sqrt(5); track "b": one clip [2, 2]
    clip_features = np.array([[2.0, 1.0], [6.0, 1.0], [2.0, 0.0]])  # per clip: [mean, std] of its patches
    features, labels = track_statistics(clip_features, np.array([1, 1, 0]), np.array(["a", "a", "b"]),
                                        pooling="mean_std")
    np.testing.assert_allclose(features, [[4.0, np.sqrt(5.0)], [2.0, 0.0]], rtol=1e-6)
    assert labels.tolist() == [1, 0]
    means, _ = track_statistics(clip_features[:, :1], np.array([1, 1, 0]), np.array(["a", "a", "b"]), pooling="mean")
    np.testing.assert_allclose(means, [[4.0], [2.0]])


def test_track_statistics_are_those_of_every_patch_of_the_track():
    rng = np.random.default_rng(0)
    patches = rng.normal(size=(7, 5, 3)) * rng.uniform(0.5, 3, size=(7, 1, 3))  # 7 clips of 5 patches, 3 features
    tracks = np.array(["x", "y", "x", "z", "y", "x", "z"])
    clip_features = np.concatenate([patches.mean(axis=1), patches.std(axis=1)], axis=1)
    features, _ = track_statistics(clip_features, np.zeros(7, int), tracks, pooling="mean_std")
    for row, track in enumerate(["x", "y", "z"]):
        every_patch = patches[tracks == track].reshape(-1, 3)
        np.testing.assert_allclose(features[row], np.concatenate([every_patch.mean(0), every_patch.std(0)]),
                                   rtol=1e-5)
