import keras
import librosa
import numpy as np
import pytest

from spectrogenre.errors import ParamsError
from spectrogenre.frontend import Frontend, log_spectrogram
from spectrogenre.mfcc import N_MFCC, mfcc_statistics_layer
from tests.synth import noise, sine


def statistics(frontend: Frontend, spectrogram: np.ndarray) -> np.ndarray:
    inputs = keras.Input(shape=frontend.shape)
    return keras.Model(inputs, mfcc_statistics_layer(frontend)(inputs)).predict_on_batch(spectrogram[None])[0]


def test_mfcc_statistics_of_the_stft_are_librosas_mfccs():
    frontend = Frontend(sample_rate=8000, clip_seconds=2.0, n_fft=256, hop_length=128)
    audio = (sine(2.0, freq=440.0, sr=8000) + noise(2.0, sr=8000, amp=0.05)).astype(np.float32)
    spectrogram = log_spectrogram(audio, frontend)
    power = 10.0 ** (spectrogram / 10.0)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=8000, n_fft=256),
                                 ref=1.0, amin=frontend.amin**2, top_db=None)
    expected = librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC)
    actual = statistics(frontend, spectrogram)
    assert actual.shape == (2 * N_MFCC,)
    np.testing.assert_allclose(actual[:N_MFCC], expected.mean(axis=1), rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(actual[N_MFCC:], expected.std(axis=1), rtol=1e-3, atol=1e-2)


def test_silence_has_flat_mfccs_with_no_spread():
    frontend = Frontend(sample_rate=8000, clip_seconds=2.0, n_fft=256, hop_length=128, kind="mel", n_mels=40)
    spectrogram = np.full(frontend.shape, -100.0, dtype=np.float32)  # the floor everywhere
    actual = statistics(frontend, spectrogram)
    # the DCT of a constant -100 dB over 40 bands: c0 = -100 * sqrt(40), the rest 0; no spread over time
    np.testing.assert_allclose(actual[0], -100 * np.sqrt(40), rtol=1e-5)
    np.testing.assert_allclose(actual[1:], 0.0, atol=1e-3)


def test_musicnn_front_end_is_refused():
    with pytest.raises(ParamsError, match="stft or mel"):
        mfcc_statistics_layer(Frontend.musicnn())
