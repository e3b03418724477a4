"""Load musicnn's pretrained TF1 checkpoint into the Keras port, by variable name and shape.

The weights ship inside the `musicnn` wheel on PyPI (ISC licence); nothing is fetched
at run time. Its metadata pins numpy<1.17, so it is installed without dependencies:
only its checkpoint files are read, never its TF1 graph code.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from spectrogenre.musicnn.architecture import build_musicnn
from spectrogenre.musicnn.weights import MusicnnWeightsError, installed_checkpoint


# Keras layer -> the checkpoint's variable scope, which tf.compat.v1.layers numbered in creation order.
SCOPES = {
    "input_bn": "batch_normalization",
    "timbral_38": "conv2d", "timbral_38_bn": "batch_normalization_1",
    "timbral_67": "conv2d_1", "timbral_67_bn": "batch_normalization_2",
    "temporal_128": "conv2d_2", "temporal_128_bn": "batch_normalization_3",
    "temporal_64": "conv2d_3", "temporal_64_bn": "batch_normalization_4",
    "temporal_32": "conv2d_4", "temporal_32_bn": "batch_normalization_5",
    "midend_1": "conv2d_5", "midend_1_bn": "batch_normalization_6",
    "midend_2": "conv2d_6", "midend_2_bn": "batch_normalization_7",
    "midend_3": "conv2d_7", "midend_3_bn": "batch_normalization_8",
    "pooled_bn": "batch_normalization_9",
    "penultimate": "dense", "embedding": "batch_normalization_10",
    "logits": "dense_1",
}


def load_musicnn(checkpoint_dir: str | os.PathLike | None = None) -> keras.Model:
    """The Keras port with pretrained weights from `checkpoint_dir`, default the installed MSD_musicnn.

    A musicnn checkpoint folder holds `.index` and `.data-*` files with an empty name:
    its prefix is the folder itself.
    """
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else installed_checkpoint()
    if not (folder / ".index").is_file():
        raise MusicnnWeightsError(f"{folder}: no musicnn checkpoint here (expected its '.index' file)")
    model = build_musicnn()
    # Not tf.train.load_checkpoint: given a folder, it follows the folder's 'checkpoint' file,
    # which names the author's training machine. The reader takes the prefix as it is.
    load_weights(model, tf.compat.v1.train.NewCheckpointReader(f"{folder}{os.sep}"), SCOPES)
    return model


def load_weights(model: keras.Model, reader: tf.train.CheckpointReader, scopes: dict[str, str]) -> None:
    """Set every layer in `scopes` (Keras layer -> checkpoint scope) from the checkpoint, batch-norm moving
    statistics included.

    Fails unless every model variable of the checkpoint (its optimizer slots aside) is used.
    """
    available = {name for name in reader.get_variable_to_shape_map() if not _is_optimizer_state(name)}
    used = set()
    for layer_name, scope in scopes.items():
        layer = model.get_layer(layer_name)
        values = []
        for variable in layer.weights:
            key = f"{scope}/{variable.name}"
            if key not in available:
                raise MusicnnWeightsError(f"checkpoint has no {key} for layer {layer_name}")
            values.append(_fit(reader.get_tensor(key), tuple(variable.shape), key))
            used.add(key)
        layer.set_weights(values)
    if unused := available - used:
        raise MusicnnWeightsError(f"checkpoint variables not mapped to the port: {sorted(unused)}")


def _is_optimizer_state(name: str) -> bool:
    return "Adam" in name or name in ("beta1_power", "beta2_power")


def _fit(value: np.ndarray, shape: tuple[int, ...], key: str) -> np.ndarray:
    """`value` in `shape`, dropping only size-1 axes (TF1 wrote the mid end's 1-D convolutions as 2-D)."""
    if [d for d in value.shape if d != 1] != [d for d in shape if d != 1]:
        raise MusicnnWeightsError(f"{key}: checkpoint shape {value.shape} does not fit the port's {shape}")
    return value.reshape(shape)
