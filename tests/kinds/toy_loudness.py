"""A toy model kind, written as a new kind is: one module declaring a ModelKind (registered by the test).

Its frozen extractor is a clip's mean level in dB (one number); its head is the shared logistic one.
"""

from spectrogenre.frontend import Frontend
from spectrogenre.kinds.base import ModelKind


def extractor(model, frontend: Frontend, input_shape):
    """(log spectrogram -> its mean level in dB (1,), no backbone): a fixed average, nothing to train."""
    import keras

    inputs = keras.Input(shape=input_shape, name="log_spectrogram")
    cells = input_shape[0] * input_shape[1]
    mean = keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(1 / cells), use_bias=False,
                              trainable=False, name="mean_level")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, mean, name="loudness"), None


def fit(model, params, *, extractor, train, val, groups, n_genres, live_dir, **_):
    from spectrogenre.fitting import fit_frozen_head

    return fit_frozen_head(model.kind, params, extractor=extractor, train=train, val=val, groups=groups,
                        n_genres=n_genres, live_dir=live_dir)


KIND = ModelKind(name="toy_loudness", description="a clip's mean level and a logistic head (a test's kind)",
                 fit=fit, extractor=extractor)
