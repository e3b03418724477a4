"""Genre classifiers on pretrained musicnn: one clip's log-mel (96, frames) in, genre probabilities out.

The clip's whole 3 s patches go through musicnn; their 200-d embeddings (or other layers'
outputs) are pooled into the clip's features (as clip_embedding does), on which a genre head sits. The
input is laid out as the project's front end lays out spectrograms (bands, frames), so
train, evaluate and export handle these models like the seed CNN.

Training never runs the frozen part more than once per clip: `pooled_patches` gives each
patch's pooled mid-end features (the input of musicnn's back end), cached by the caller;
`TopLayers` is the back end up to the embedding, whose weights can be fine-tuned on that
cache and written back into the backbone.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
from keras import layers, ops

from spectrogenre.musicnn.frontend import N_MELS, PATCH_FRAMES

TOP = ("pooled_bn", "penultimate", "embedding")  # the back end's layers up to the embedding
STD_FLOOR = 1e-12  # added to the patches' variance before its square root (PatchStatistics)


def _patches(inputs, input_shape: tuple[int, int]):
    """(batch, 96, frames) -> (batch, patches, 187, 96); frames past the last whole patch are dropped."""
    bands, frames = input_shape
    if bands != N_MELS or frames < PATCH_FRAMES:
        raise ValueError(f"musicnn takes ({N_MELS}, >= {PATCH_FRAMES}) log-mel clips, got {input_shape}")
    n_patches = frames // PATCH_FRAMES
    x = layers.Permute((2, 1), name="frames_first")(inputs)
    x = layers.Cropping1D((0, frames - n_patches * PATCH_FRAMES), name="whole_patches")(x)
    return layers.Reshape((n_patches, PATCH_FRAMES, N_MELS), name="patches")(x)


@keras.saving.register_keras_serializable(package="spectrogenre")
class PatchStatistics(layers.Layer):
    """(batch, patches, d) -> the mean and the standard deviation over the patches, (batch, 2 d)."""

    def call(self, patches):
        # A feature constant over the patches (a ReLU unit that never fires) has std 0, where sqrt's gradient
        # is infinite: fine-tuning through it turned every weight into NaN. The floor adds at most 1e-6.
        std = ops.sqrt(ops.var(patches, axis=1) + STD_FLOOR)
        return ops.concatenate([ops.mean(patches, axis=1), std], axis=-1)


def track_statistics(features: np.ndarray, labels: np.ndarray, tracks: np.ndarray, *,
                     pooling: str) -> tuple[np.ndarray, np.ndarray]:
    """Clips' pooled features (clip_embedder's output; every clip has as many patches) -> the same statistics over
    every patch of each track: (features (tracks, d), labels (tracks,)), tracks in sorted order.

    Exact, without the patches: a track's mean is the mean of its clips' means; with "mean_std", its
    variance is the mean of its clips' (std^2 + mean^2) less its mean^2.
    """
    by_track = lambda x: pd.DataFrame(x).groupby(tracks, sort=True).mean().to_numpy()
    track_labels = pd.Series(labels).groupby(tracks, sort=True).first().to_numpy()
    if pooling != "mean_std":
        return by_track(features).astype(np.float32), track_labels
    d = features.shape[1] // 2
    mean, std = features[:, :d].astype(np.float64), features[:, d:].astype(np.float64)
    track_mean = by_track(mean)
    track_std = np.sqrt(np.maximum(by_track(np.square(std) + np.square(mean)) - np.square(track_mean), 0.0))
    return np.concatenate([track_mean, track_std], axis=1).astype(np.float32), track_labels


def patch_features(backbone: keras.Model, names: tuple[str, ...], vgg: keras.Model | None = None) -> keras.Model:
    """One patch (187, 96) -> the named layers' outputs side by side: embedding (200), midend (1506: the
    mid-end's max and mean over time), taggram (50) and, from the `vgg` network (musicnn.vgg), vgg (128); frozen."""
    if "vgg" in names and vgg is None:
        raise ValueError("the vgg layer needs the vgg network (musicnn.vgg.load_vgg)")
    patch = keras.Input(shape=(PATCH_FRAMES, N_MELS), name="patch")
    musicnn_names = [name for name in names if name != "vgg"]
    outputs = {}
    if musicnn_names:
        layer_outputs = {"embedding": backbone.output["embedding"], "taggram": backbone.output["taggram"],
                         "midend": backbone.get_layer("pooled").output}
        chosen = keras.Model(backbone.input, [layer_outputs[name] for name in musicnn_names], name="musicnn_layers")
        outputs |= dict(zip(musicnn_names, chosen(patch)))
    if "vgg" in names:
        outputs["vgg"] = keras.Model(vgg.input, vgg.output["vgg"], name="vgg_layer")(patch)
    joined = [outputs[name] for name in names]
    model = keras.Model(patch, joined[0] if len(joined) == 1 else layers.Concatenate(name="joined_layers")(joined),
                        name="musicnn_" + "_".join(names))
    model.trainable = False
    return model


def clip_embedder(input_shape: tuple[int, int], backbone: keras.Model, *, names: tuple[str, ...] = ("embedding",),
                  pooling: str = "mean", vgg: keras.Model | None = None) -> keras.Model:
    """Log-mel (96, frames) -> its patches' `names` features pooled over the patches: their mean ("mean"), or
    mean and standard deviation ("mean_std"); the backbone (and `vgg`, for the vgg layer) frozen."""
    inputs = keras.Input(shape=input_shape, name="log_spectrogram")
    x = layers.TimeDistributed(patch_features(backbone, names, vgg), name="patch_embeddings")(
        _patches(inputs, input_shape))
    pooled = (PatchStatistics(name="clip_embedding") if pooling == "mean_std"
              else layers.GlobalAveragePooling1D(name="clip_embedding"))(x)
    return keras.Model(inputs, pooled, name="musicnn_clip")


def pooled_patches(input_shape: tuple[int, int], backbone: keras.Model) -> keras.Model:
    """Log-mel (96, frames) -> each patch's pooled mid-end features (patches, 1506): the frozen part."""
    pooled = keras.Model(backbone.input, backbone.get_layer("pooled").output, name="musicnn_pooled")
    pooled.trainable = False
    inputs = keras.Input(shape=input_shape, name="log_spectrogram")
    outputs = layers.TimeDistributed(pooled, name="patch_pooled")(_patches(inputs, input_shape))
    return keras.Model(inputs, outputs, name="musicnn_pooled_patches")


def top_layers(backbone: keras.Model, *, n_patches: int, pooling: str = "mean") -> keras.Model:
    """Pooled features (patches, 1506) -> clip embedding (200,; 400 with pooling "mean_std"): musicnn's back
    end up to its embedding, pooled over the patches as clip_embedder pools, a copy with the backbone's
    current weights, trainable (its batch norms train too)."""
    n_features = backbone.get_layer("pooled").output.shape[-1]
    inputs = keras.Input(shape=(n_patches, n_features), name="pooled_patches")
    x = inputs
    for name in TOP:
        source = backbone.get_layer(name)
        layer = source.__class__.from_config(source.get_config())
        x = layer(x)
        layer.set_weights(source.get_weights())
        if name == "pooled_bn":
            x = layers.Dropout(0.5, name="pooled_dropout")(x)  # as in musicnn's back end
    pooled = (PatchStatistics(name="clip_embedding") if pooling == "mean_std"
              else layers.GlobalAveragePooling1D(name="clip_embedding"))(x)
    return keras.Model(inputs, pooled, name="musicnn_top")


def write_top_weights(top: keras.Model, backbone: keras.Model) -> None:
    """Copy fine-tuned top layers back into the backbone (by layer name)."""
    for name in TOP:
        backbone.get_layer(name).set_weights(top.get_layer(name).get_weights())
