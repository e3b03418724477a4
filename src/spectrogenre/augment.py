"""Augmentation of training batches of log spectrograms (numpy, seeded): gain, time and frequency masks, mixup."""

from __future__ import annotations

import numpy as np

from spectrogenre.params import TrainParams


def one_hot(labels: np.ndarray, n_genres: int) -> np.ndarray:
    """int labels (n,) -> float32 (n, n_genres)."""
    return np.eye(n_genres, dtype=np.float32)[labels]


def augment_batch(x: np.ndarray, labels: np.ndarray, *, n_genres: int, params: TrainParams,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A batch of dB spectrograms (n, bins, frames) and int labels (n,) -> augmented x (float32) and soft labels (n, n_genres).

    In order: a gain uniform in [-gain_db, gain_db] dB added to each clip; `time_masks` bands
    of 0..time_mask_frames frames and `freq_masks` bands of 0..freq_mask_bins bins set to the
    clip's mean level; mixup of each clip with a random other one of the batch,
    lam x_i + (1 - lam) x_j with lam ~ Beta(mixup_alpha, mixup_alpha), labels mixed alike.
    """
    x = np.array(x, dtype=np.float32)
    n, bins, frames = x.shape
    targets = one_hot(labels, n_genres)
    if params.gain_db:
        x += rng.uniform(-params.gain_db, params.gain_db, size=(n, 1, 1)).astype(np.float32)
    if params.time_masks or params.freq_masks:
        level = x.mean(axis=(1, 2))
        for i in range(n):
            for _ in range(params.time_masks):
                width = int(rng.integers(0, min(params.time_mask_frames, frames) + 1))
                start = int(rng.integers(0, frames - width + 1))
                x[i, :, start: start + width] = level[i]
            for _ in range(params.freq_masks):
                width = int(rng.integers(0, min(params.freq_mask_bins, bins) + 1))
                start = int(rng.integers(0, bins - width + 1))
                x[i, start: start + width, :] = level[i]
    if params.mixup_alpha:
        lam = rng.beta(params.mixup_alpha, params.mixup_alpha, size=n).astype(np.float32)
        partner = rng.permutation(n)
        x = lam[:, None, None] * x + (1 - lam[:, None, None]) * x[partner]
        targets = lam[:, None] * targets + (1 - lam[:, None]) * targets[partner]
    return x, targets
