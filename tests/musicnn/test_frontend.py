"""musicnn's front end, and what weight loading says when there are no weights."""

import numpy as np
import pytest

from spectrogenre.musicnn.checkpoint import MusicnnWeightsError, load_musicnn
from spectrogenre.musicnn.frontend import MIN_SAMPLES, N_MELS, PATCH_FRAMES, log_mel, patches
from tests.synth import sine


def test_15_seconds_make_5_patches_of_3_seconds():
    spectrogram = log_mel(sine(15.0, sr=16000))
    assert spectrogram.shape == (938, N_MELS) and spectrogram.dtype == np.float32
    batch = patches(spectrogram)
    assert batch.shape == (5, PATCH_FRAMES, N_MELS)
    np.testing.assert_array_equal(batch[1], spectrogram[PATCH_FRAMES: 2 * PATCH_FRAMES])


def test_a_shorter_hop_overlaps_patches():
    spectrogram = log_mel(sine(15.0, sr=16000))
    batch = patches(spectrogram, hop=62)
    assert len(batch) == 1 + (938 - PATCH_FRAMES) // 62
    np.testing.assert_array_equal(batch[2], spectrogram[124: 124 + PATCH_FRAMES])


def test_loud_audio_stays_finite():
    spectrogram = log_mel(sine(4.0, freq=300.0, sr=16000, amp=1.0))
    # Above log10(65504), float16's largest value, musicnn's own float16 arithmetic gives inf.
    assert spectrogram.max() > np.log10(np.finfo(np.float16).max)
    assert np.isfinite(spectrogram).all()


def test_less_than_3_seconds_is_refused():
    assert len(patches(log_mel(np.zeros(MIN_SAMPLES, np.float32)))) == 1
    with pytest.raises(ValueError, match="at least 187 frames"):
        patches(log_mel(np.zeros(MIN_SAMPLES - 1, np.float32)))


def test_a_folder_without_a_checkpoint_is_named(tmp_path):
    with pytest.raises(MusicnnWeightsError, match=f"{tmp_path}: no musicnn checkpoint"):
        load_musicnn(tmp_path)


def test_missing_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(MusicnnWeightsError, match="pip install --no-deps musicnn"):
        load_musicnn()
