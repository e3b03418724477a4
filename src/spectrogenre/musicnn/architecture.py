"""The musicnn architecture (Pons and Serra, 2019) in Keras 3, sized as the released checkpoints.

front end  musically motivated filters over the normalised log-mel (time, 96 bands):
           timbral: 204 filters of 7 frames x 38 and x 67 bands (0.4 and 0.7 of the bands);
           temporal: 51 filters of 128, 64 and 32 frames x 1 band; each max-pooled over
           frequency -> 561 features per frame
mid end    three 1-D convolutions of 64 filters x 7 frames, the last two residual; their
           outputs and the front end's are stacked -> 753 features per frame
back end   max and mean over time, batch norm, dense 200 (the embedding, after its batch
           norm), dense 50 -> sigmoid tags

Layer names are this model's own; checkpoint.py maps them to the checkpoint's variables.
"""

from __future__ import annotations

import keras
from keras import layers

from spectrogenre.musicnn.frontend import N_MELS, PATCH_FRAMES

# TF1's batch-norm epsilon, which the checkpoints' moving statistics were trained with.
BN_EPSILON = 1e-3
TIMBRAL_FILTERS = 204    # int(1.6 * 128)
TEMPORAL_FILTERS = 51    # int(1.6 * 32)
MIDEND_FILTERS = 64
EMBEDDING_UNITS = 200
N_TAGS = 50


def _batch_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(epsilon=BN_EPSILON, name=name)


def _frequency_max(x, name: str):
    """Max over the frequency axis: (batch, time, bands, filters) -> (batch, time, filters)."""
    x = layers.MaxPooling2D(pool_size=(1, x.shape[2]), name=f"{name}_pool")(x)
    return layers.Reshape((x.shape[1], x.shape[3]), name=f"{name}_squeeze")(x)


def _front_end(spectrogram):
    x = layers.Reshape((PATCH_FRAMES, N_MELS, 1), name="add_channel")(spectrogram)
    x = _batch_norm("input_bn")(x)
    # Timbral filters pad time only: "same" over time, "valid" over frequency (it is max-pooled away).
    padded = layers.ZeroPadding2D(((3, 3), (0, 0)), name="timbral_pad")(x)
    features = []
    for bands in (38, 67):
        name = f"timbral_{bands}"
        y = layers.Conv2D(TIMBRAL_FILTERS, (7, bands), activation="relu", name=name)(padded)
        features.append(_frequency_max(_batch_norm(f"{name}_bn")(y), name))
    for frames in (128, 64, 32):
        name = f"temporal_{frames}"
        y = layers.Conv2D(TEMPORAL_FILTERS, (frames, 1), padding="same", activation="relu", name=name)(x)
        features.append(_frequency_max(_batch_norm(f"{name}_bn")(y), name))
    return layers.Concatenate(name="front_end")(features)


def _mid_end(front_end):
    outputs = [front_end]
    x = front_end
    for i in (1, 2, 3):
        y = layers.Conv1D(MIDEND_FILTERS, 7, padding="same", activation="relu", name=f"midend_{i}")(x)
        y = _batch_norm(f"midend_{i}_bn")(y)
        x = y if i == 1 else layers.Add(name=f"midend_{i}_residual")([y, x])
        outputs.append(x)
    return layers.Concatenate(name="mid_end")(outputs)


def _back_end(features):
    n_features = features.shape[-1]
    pooled = [layers.GlobalMaxPooling1D(name="max_over_time")(features),
              layers.GlobalAveragePooling1D(name="mean_over_time")(features)]
    # The checkpoint's dense layer reads max and mean interleaved per feature (max0, mean0, max1, ...).
    pooled = [layers.Reshape((n_features, 1))(p) for p in pooled]
    x = layers.Flatten(name="pooled")(layers.Concatenate()(pooled))
    x = layers.Dropout(0.5)(_batch_norm("pooled_bn")(x))
    x = layers.Dense(EMBEDDING_UNITS, activation="relu", name="penultimate")(x)
    embedding = _batch_norm("embedding")(x)
    logits = layers.Dense(N_TAGS, name="logits")(layers.Dropout(0.5)(embedding))
    return embedding, layers.Activation("sigmoid", name="taggram")(logits)


def build_musicnn() -> keras.Model:
    """Log-mel patches (batch, 187, 96) -> {"embedding": (batch, 200), "taggram": (batch, 50)}; untrained."""
    spectrogram = keras.Input(shape=(PATCH_FRAMES, N_MELS), name="log_mel")
    embedding, taggram = _back_end(_mid_end(_front_end(spectrogram)))
    return keras.Model(spectrogram, {"embedding": embedding, "taggram": taggram}, name="musicnn")
