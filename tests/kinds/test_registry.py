"""The model-kind registry: every kind through one interface, and a new kind added as one module + one entry."""

import numpy as np
import pandas as pd
import pytest

from spectrogenre.config import parse_params
from spectrogenre.errors import ParamsError
from spectrogenre.files import write_npz
from spectrogenre.frontend import Frontend
from spectrogenre.kinds import KINDS, get
from spectrogenre.params import TrainParams
from tests.kinds import toy_loudness


def test_the_registered_kinds_and_what_they_declare():
    assert list(KINDS) == ["seed_cnn", "mfcc_logreg", "musicnn"]
    assert get("seed_cnn").extractor is None and get("mfcc_logreg").extractor is not None
    assert get("musicnn").frontend(Frontend(clip_seconds=10.0)) == Frontend.musicnn(clip_seconds=10.0)
    assert get("mfcc_logreg").frontend(Frontend()) == Frontend()
    with pytest.raises(ParamsError, match=r"model.kind must be one of \('seed_cnn', 'mfcc_logreg', 'musicnn'\)"):
        get("svm")


@pytest.fixture
def toy_kind(monkeypatch):
    monkeypatch.setitem(KINDS, "toy_loudness", toy_loudness.KIND)  # the one registry entry a new kind needs
    return toy_loudness.KIND


def loudness_chunks(folder, split, levels, genres):
    """Clips whose every cell is `level` dB; label = genre."""
    ids = np.arange(len(levels)) + (0 if split == "train" else 1000)
    x = np.broadcast_to(np.array(levels, np.float16)[:, None, None], (len(levels), 4, 5))
    write_npz(folder / f"{split}-00000.npz", x=x, y=np.array(genres, np.int16), clip_id=ids)
    return [folder / f"{split}-00000.npz"], ids


def test_a_new_kind_trains_evaluates_and_exports_through_the_same_interface(toy_kind, tmp_path):
    from spectrogenre.litert import TFLiteModel
    from spectrogenre.train import fit_classifier

    params = parse_params({"library": "x", "model": {"kind": "toy_loudness"}})
    assert params.model.kind == "toy_loudness" and params.frontend == Frontend()  # it keeps params' front end
    # quiet clips (-60..-50 dB) are genre 0, loud ones (-20..-10 dB) genre 1; 4 albums of 3 clips per genre
    rng = np.random.default_rng(0)
    levels = np.concatenate([rng.uniform(-60, -50, 12), rng.uniform(-20, -10, 12)])
    genres = np.repeat([0, 1], 12)
    train_paths, train_ids = loudness_chunks(tmp_path, "train", levels[::2], genres[::2])
    val_paths, val_ids = loudness_chunks(tmp_path, "val", levels[1::2], genres[1::2])
    group_of = pd.Series([f"g{(i % 1000) // 3}-{i >= 1000}" for i in [*train_ids, *val_ids]],
                         index=[*train_ids, *val_ids])
    fitted = fit_classifier(params.model, TrainParams(), frontend=params.frontend, input_shape=(4, 5), n_genres=2,
                            train_paths=train_paths, val_paths=val_paths, group_of=group_of,
                            live_dir=tmp_path / "live")
    probe = np.stack([np.full((4, 5), -55.0), np.full((4, 5), -15.0)]).astype(np.float32)
    probs = fitted.model.predict(probe, verbose=0)
    assert probs.argmax(axis=1).tolist() == [0, 1]
    assert fitted.held_out[0].shape == (24, 2) and fitted.summary["fitted_on"] == "train + val clips"
    (tmp_path / "model.tflite").write_bytes(get("toy_loudness").export(fitted.model, quantise=False))
    np.testing.assert_allclose(TFLiteModel(tmp_path / "model.tflite").predict(probe), probs, atol=1e-5)


def test_params_reject_an_unregistered_kind():
    with pytest.raises(ParamsError, match="got 'toy_loudness'"):
        parse_params({"library": "x", "model": {"kind": "toy_loudness"}})
