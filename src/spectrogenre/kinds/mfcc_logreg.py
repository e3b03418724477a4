"""The trivial baseline: mean and spread of 20 MFCCs per clip (a Keras layer over the front end's log
spectrogram), and a logistic-regression head. Every run of another kind should beat it."""

from __future__ import annotations

from spectrogenre.frontend import Frontend
from spectrogenre.kinds.base import ModelKind
from spectrogenre.params import ModelParams


def extractor(model: ModelParams, frontend: Frontend, input_shape: tuple[int, int]):
    """(log spectrogram -> MFCC statistics (40,), no backbone)."""
    import keras

    from spectrogenre.mfcc import mfcc_statistics_layer

    inputs = keras.Input(shape=input_shape, name="log_spectrogram")
    return keras.Model(inputs, mfcc_statistics_layer(frontend)(inputs), name="mfcc_statistics"), None


def fit(model: ModelParams, params, *, extractor, train, val, groups, n_genres, live_dir, **_):
    from spectrogenre.fitting import fit_frozen_head

    return fit_frozen_head(model.kind, params, extractor=extractor, train=train, val=val, groups=groups,
                        n_genres=n_genres, live_dir=live_dir, head=model.head,
                           balance=model.balance == "groups")


KIND = ModelKind(name="mfcc_logreg", description="MFCC statistics + logistic regression: the trivial baseline",
                 fit=fit, extractor=extractor)
