"""musicnn embeddings of 16 kHz audio: one per 3 s patch, or one per clip (their mean)."""

from __future__ import annotations

import functools

import keras
import numpy as np

from spectrogenre.musicnn.checkpoint import load_musicnn
from spectrogenre.musicnn.frontend import PATCH_FRAMES, log_mel, patches

BATCH = 16  # patches per forward pass: bounds memory on long tracks (tens of MB of activations per patch)


@functools.cache
def default_model() -> keras.Model:
    """The port with the installed MSD_musicnn weights, loaded once per process."""
    return load_musicnn()


def predict_patches(batch: np.ndarray, model: keras.Model | None = None) -> dict[str, np.ndarray]:
    """Log-mel patches (n, 187, 96) -> {"embedding": (n, 200), "taggram": (n, 50)}, float32."""
    model = model or default_model()
    parts = [model.predict_on_batch(batch[i: i + BATCH]) for i in range(0, len(batch), BATCH)]
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def embed(audio_16k: np.ndarray, *, hop_patches: int = PATCH_FRAMES, model: keras.Model | None = None) -> np.ndarray:
    """Penultimate-layer embeddings of mono 16 kHz audio: float32 (n_patches, 200).

    One 3 s patch (187 frames) starts every `hop_patches` spectrogram frames (16 ms each);
    the default is musicnn's non-overlapping patches. At least 3 s of audio is needed.
    """
    return predict_patches(patches(log_mel(audio_16k), hop=hop_patches), model)["embedding"]


def clip_embedding(audio_16k: np.ndarray, *, model: keras.Model | None = None) -> np.ndarray:
    """One embedding for a clip (a 15 s clip has 5 patches): the mean over its patches, float32 (200,)."""
    return embed(audio_16k, model=model).mean(axis=0)
