"""A genre classifier on pretrained musicnn: one clip's log-mel in, genre probabilities out.

It takes the clip as the project's front end lays out spectrograms, (bands, frames), so
train, evaluate and export handle it like the seed CNN: its 3 s patches go through
musicnn, their embeddings are averaged (as clip_embedding does) and a softmax layer
names the genre.
"""

from __future__ import annotations

import keras
from keras import layers

from spectrogenre.musicnn.frontend import N_MELS, PATCH_FRAMES


def build_musicnn_classifier(input_shape: tuple[int, int], n_genres: int, *, backbone: keras.Model,
                             fine_tune: bool = False) -> keras.Model:
    """Log-mel (96, frames) of one clip -> genre probabilities (n_genres,).

    `backbone` is load_musicnn()'s model; frozen unless `fine_tune` (then its batch norms
    train too). Frames past the last whole patch are dropped, like patches() does.
    """
    bands, frames = input_shape
    if bands != N_MELS or frames < PATCH_FRAMES:
        raise ValueError(f"musicnn takes ({N_MELS}, >= {PATCH_FRAMES}) log-mel clips, got {input_shape}")
    n_patches = frames // PATCH_FRAMES
    embedder = keras.Model(backbone.input, backbone.output["embedding"], name="musicnn_embedding")
    embedder.trainable = fine_tune
    inputs = keras.Input(shape=input_shape, name="log_spectrogram")
    x = layers.Permute((2, 1), name="frames_first")(inputs)
    x = layers.Cropping1D((0, frames - n_patches * PATCH_FRAMES), name="whole_patches")(x)
    x = layers.Reshape((n_patches, PATCH_FRAMES, N_MELS), name="patches")(x)
    x = layers.TimeDistributed(embedder, name="patch_embeddings")(x)
    x = layers.GlobalAveragePooling1D(name="clip_embedding")(x)
    x = layers.Dropout(0.5)(x)  # as musicnn's own back end does before its output layer
    outputs = layers.Dense(n_genres, activation="softmax", name="genre")(x)
    return keras.Model(inputs, outputs, name="musicnn_classifier")
