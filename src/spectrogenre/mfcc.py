"""The trivial baseline's features: MFCC statistics of a clip, as a Keras layer over the front end's output.

Being a layer, the baseline is a Keras model like the others (features, then a
logistic-regression head), so the evaluate and export stages, `predict` and the phone
run it unchanged from the same log spectrogram.
"""

from __future__ import annotations

import keras
import librosa
import numpy as np
import scipy.fft
from keras import ops

from spectrogenre.errors import ParamsError
from spectrogenre.frontend import Frontend

N_MFCC = 20
N_MELS = 128  # librosa.feature.mfcc's default mel bands


@keras.saving.register_keras_serializable(package="spectrogenre")
class MfccStatistics(keras.layers.Layer):
    """Log spectrogram in dB (batch, bins, frames) -> mean and std over frames of N_MFCC MFCCs (batch, 2 N_MFCC).

    From an STFT front end: power 10^(dB/10), mel filterbank (librosa's Slaney, N_MELS bands),
    dB with the same floor, DCT-II (orthonormal): librosa.feature.mfcc's recipe. From a mel
    front end the input already is the dB mel spectrogram.
    """

    def __init__(self, *, bins: int, mel_basis_shape: tuple[int, int] | None, amin: float, **kwargs):
        super().__init__(**kwargs)
        self.bins, self.amin = bins, amin
        self.mel_basis_shape = tuple(mel_basis_shape) if mel_basis_shape else None
        n_mels = self.mel_basis_shape[0] if self.mel_basis_shape else bins
        self.dct = self.add_weight(shape=(n_mels, N_MFCC), initializer="zeros", trainable=False, name="dct")
        self.mel_basis = (self.add_weight(shape=self.mel_basis_shape[::-1], initializer="zeros", trainable=False,
                                          name="mel_basis") if self.mel_basis_shape else None)

    def call(self, spectrogram):
        x = ops.transpose(spectrogram, (0, 2, 1))  # (batch, frames, bins)
        if self.mel_basis is not None:
            power = ops.power(10.0, x / 10.0)
            mel = ops.matmul(power, self.mel_basis)
            x = 10.0 * ops.log(ops.maximum(mel, self.amin**2)) / np.log(10.0)
        coefficients = ops.matmul(x, self.dct)  # (batch, frames, N_MFCC)
        return ops.concatenate([ops.mean(coefficients, axis=1), ops.std(coefficients, axis=1)], axis=-1)

    def get_config(self):
        return super().get_config() | {"bins": self.bins, "mel_basis_shape": self.mel_basis_shape, "amin": self.amin}


def mfcc_statistics_layer(frontend: Frontend) -> MfccStatistics:
    """The layer for `frontend`'s spectrograms, its filterbank and DCT set. Raises ParamsError for musicnn's."""
    if frontend.kind == "musicnn":
        raise ParamsError("model.kind mfcc_logreg reads a dB spectrogram: use frontend.kind stft or mel")
    bins = frontend.n_bins
    basis = (librosa.filters.mel(sr=frontend.sample_rate, n_fft=frontend.n_fft, n_mels=N_MELS)
             if frontend.kind == "stft" else None)
    layer = MfccStatistics(bins=bins, mel_basis_shape=None if basis is None else basis.shape, amin=frontend.amin,
                           name="mfcc_statistics")
    n_mels = N_MELS if basis is not None else bins
    dct = scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=0)[:N_MFCC].T  # (n_mels, N_MFCC)
    layer.build((None, bins, frontend.n_frames))
    layer.dct.assign(dct.astype(np.float32))
    if basis is not None:
        layer.mel_basis.assign(basis.T.astype(np.float32))
    return layer
