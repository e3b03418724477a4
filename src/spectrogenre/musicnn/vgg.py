"""MSD_vgg, the second network in the musicnn wheel (Pons and Serra, 2019), in Keras 3 with its weights.

A plain VGG over the same input as musicnn (one 3 s patch: 187 frames x 96 log-mel bands): batch
norm, then five blocks of a 3 x 3 convolution (128 filters, ReLU), batch norm and max pooling
(4 x 1 then 2 x 2 three times, strides 2; 4 x 4, stride 4), and a dense layer to the 50 MSD tags.
It sees the spectrogram as an image where musicnn sees timbre and rhythm, which is why it is offered
as a second view of a patch.

Its feature here, `vgg` (128): the fourth block's output, max-pooled over time and frequency. The
fifth block's flattened output, the tag layer's input, is only 2 x 1 positions of a 3 s patch; in
grouped cross-validation on real music the fourth block's maximum did better (README).
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import tensorflow as tf
from keras import layers

from spectrogenre.musicnn.architecture import BN_EPSILON, N_TAGS
from spectrogenre.musicnn.checkpoint import load_weights
from spectrogenre.musicnn.frontend import N_MELS, PATCH_FRAMES
from spectrogenre.musicnn.weights import MusicnnWeightsError, installed_checkpoint

CHECKPOINT = "MSD_vgg"
FILTERS = 128
POOLS = (((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4)))  # (size, strides)
FEATURE_BLOCK = 4  # the block whose max over time and frequency is the `vgg` feature

# Keras layer -> the checkpoint's variable scope (tf.compat.v1.layers numbered the unnamed batch norms).
SCOPES = {"input_bn": "batch_normalization", "tags": "dense"} | {
    name: scope for block in range(1, len(POOLS) + 1)
    for name, scope in ((f"conv{block}", f"{block}CNN"), (f"conv{block}_bn", f"batch_normalization_{block}"))}


def build_vgg() -> keras.Model:
    """One patch (187, 96) -> {"vgg": (128,), "pool4": (11, 6, 128), "pool5": (2, 1, 128), "taggram": (50,)}."""
    inputs = keras.Input(shape=(PATCH_FRAMES, N_MELS), name="patch")
    x = layers.Reshape((PATCH_FRAMES, N_MELS, 1), name="image")(inputs)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="input_bn")(x)
    pooled = {}
    for block, (size, strides) in enumerate(POOLS, start=1):
        x = layers.Conv2D(FILTERS, 3, padding="same", activation="relu", name=f"conv{block}")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"conv{block}_bn")(x)
        x = pooled[block] = layers.MaxPooling2D(size, strides, name=f"pool{block}")(x)
    feature = layers.GlobalMaxPooling2D(name="vgg")(pooled[FEATURE_BLOCK])
    logits = layers.Dense(N_TAGS, name="tags")(layers.Flatten(name="pool5_flat")(pooled[5]))
    taggram = layers.Activation("sigmoid", name="taggram")(logits)
    return keras.Model(inputs, {"vgg": feature, "pool4": pooled[4], "pool5": pooled[5], "taggram": taggram},
                       name="msd_vgg")


def load_vgg(checkpoint_dir: str | os.PathLike | None = None) -> keras.Model:
    """The port with MSD_vgg's pretrained weights (default: the installed musicnn wheel's)."""
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else installed_checkpoint(CHECKPOINT)
    if not (folder / ".index").is_file():
        raise MusicnnWeightsError(f"{folder}: no vgg checkpoint here (expected its '.index' file)")
    model = build_vgg()
    load_weights(model, tf.compat.v1.train.NewCheckpointReader(f"{folder}{os.sep}"), SCOPES)
    return model

