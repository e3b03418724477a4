"""The musicnn kind's head fitted on whole tracks (model.pool_over: track), on stand-in clip features: the
frozen network itself is tested in tests/musicnn."""

import keras
import numpy as np

from spectrogenre.heads import fit_logistic_head
from spectrogenre.kinds import get
from spectrogenre.musicnn.classifier import track_statistics
from spectrogenre.params import ModelParams, TrainParams


def clip_features(n_tracks: int, clips_per_track: int, seed: int):
    """[mean, std] of 5 patches per clip, 4 features, two genres a shift of 1 apart; tracks of 2 genres."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_tracks) % 2, clips_per_track)
    patches = rng.normal(size=(len(labels), 5, 4)) + labels[:, None, None]
    tracks = np.repeat([f"s{seed}t{i}" for i in range(n_tracks)], clips_per_track)
    return np.concatenate([patches.mean(1), patches.std(1)], 1).astype(np.float32), labels, tracks


def test_pool_over_track_fits_the_head_on_one_example_per_track_and_scores_every_clip(tmp_path):
    (x_train, y_train, t_train), (x_val, y_val, t_val) = clip_features(20, 3, 0), clip_features(10, 3, 1)
    inputs = keras.Input(shape=(8,))
    extractor = keras.Model(inputs, keras.layers.Identity()(inputs))  # the clip features stand in for musicnn's
    fitted = get("musicnn").fit(
        ModelParams(kind="musicnn", pool_over="track"), TrainParams(), extractor=extractor, backbone=None,
        train=(x_train, y_train), val=(x_val, y_val), groups=(t_train, t_val), n_genres=2, input_shape=(8,),
        live_dir=tmp_path / "live", tracks=(t_train, t_val))
    assert fitted.summary["fitted_on"].startswith("train + val tracks")
    assert fitted.held_out[0].shape == (90, 2)  # out-of-fold probabilities of every clip, for calibration
    features, labels = track_statistics(np.concatenate([x_train, x_val]), np.concatenate([y_train, y_val]),
                                        np.concatenate([t_train, t_val]), pooling="mean_std")
    assert features.shape == (30, 8)
    expected = fit_logistic_head(features, labels, n_genres=2, c=fitted.summary["head_c"])
    np.testing.assert_allclose(fitted.model.predict_on_batch(x_val), expected.probabilities(x_val), atol=1e-5)


def test_fine_tuning_chooses_its_epochs_by_grouped_cross_validation(tmp_path):
    from spectrogenre.musicnn.architecture import build_musicnn

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 24)
    pooled = (rng.normal(size=(48, 5, 1506)) + labels[:, None, None] * 0.5).astype(np.float32)  # cached patches
    groups = np.array([f"g{i // 4}" for i in range(48)])  # 12 albums of 4 clips, 6 per genre
    fitted = get("musicnn").fit(
        ModelParams(kind="musicnn", fine_tune=True), TrainParams(epochs=3, batch_size=16, epoch_folds=3), extractor=None,
        backbone=build_musicnn(), train=(pooled[::2], labels[::2]), val=(pooled[1::2], labels[1::2]),
        groups=(groups[::2], groups[1::2]), n_genres=2, input_shape=(96, 938), live_dir=tmp_path / "live")
    assert fitted.summary["selected_by"].startswith("grouped 3-fold cross-validation on train + val clips")
    assert 1 <= fitted.summary["best_epoch"] <= 3
    assert fitted.summary["fitted_on"] == f"train + val clips, {fitted.summary['best_epoch']} epochs"
    probabilities, held_labels = fitted.held_out
    assert probabilities.shape == (48, 2) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    assert sorted(held_labels.tolist()) == sorted(labels.tolist())  # every clip held out once


def test_fine_tuning_with_balance_weighs_each_album_the_same_within_its_genre(tmp_path):
    from spectrogenre.heads import WEIGHED
    from spectrogenre.musicnn.architecture import build_musicnn

    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 24)
    pooled = (rng.normal(size=(48, 5, 1506)) + labels[:, None, None] * 0.5).astype(np.float32)
    # per genre one album of 14 clips and five of 2: weighed, the big album counts as one of six
    albums = np.array([f"{g}-big" if i < 14 else f"{g}-{i // 2}" for g in (0, 1) for i in range(24)])
    outputs = {}
    for balance in ("clips", "groups"):
        keras.utils.set_random_seed(0)
        fitted = get("musicnn").fit(
            ModelParams(kind="musicnn", fine_tune=True, balance=balance), TrainParams(epochs=2, batch_size=16),
            extractor=None, backbone=build_musicnn(), train=(pooled[::2], labels[::2]), val=(pooled[1::2], labels[1::2]),
            groups=(albums[::2], albums[1::2]), n_genres=2, input_shape=(96, 938), live_dir=tmp_path / balance)
        assert fitted.summary["weighed"] == WEIGHED[balance == "groups"]
        outputs[balance] = fitted.predict_features(pooled)
    assert np.abs(outputs["clips"] - outputs["groups"]).max() > 1e-3  # the weights reached the training
