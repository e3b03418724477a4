"""Streaming the split's chunk files: bounded memory whatever the library's size."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np


def load_chunk(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x float32 (rows, bins, frames), y int32 (rows,), clip_id int64 (rows,)) of one chunk file."""
    with np.load(path) as chunk:
        return chunk["x"].astype(np.float32), chunk["y"].astype(np.int32), chunk["clip_id"]


def iter_batches(paths: list[Path], *, batch_size: int, rng: np.random.Generator | None = None,
                 shuffle_chunks: int = 1) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (x, y, clip_id) batches from chunk files: all full but the last, ceil(rows / batch_size) in all.

    With `rng`, chunks come in a random order and rows are shuffled across
    `shuffle_chunks` chunks at a time (memory: that many chunks and one batch); without
    it, in file and row order (for evaluation).
    """
    order = list(rng.permutation(len(paths))) if rng is not None else list(range(len(paths)))
    group = shuffle_chunks if rng is not None else 1
    carry: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for first in range(0, len(order), group):
        parts = carry + [load_chunk(paths[i]) for i in order[first: first + group]]
        x, y, ids = (np.concatenate(arrays) for arrays in zip(*parts))
        rows = rng.permutation(len(y)) if rng is not None else np.arange(len(y))
        n_full = len(rows) // batch_size * batch_size
        for start in range(0, n_full, batch_size):
            take = rows[start: start + batch_size]
            yield x[take], y[take], ids[take]
        rest = rows[n_full:]  # fewer than a batch: carried into the next group
        carry = [(x[rest], y[rest], ids[rest])] if len(rest) else []
    if carry:
        yield carry[0]


def count_rows(paths: list[Path]) -> int:
    """Rows in the chunk files, reading only their label arrays."""
    total = 0
    for path in paths:
        with np.load(path) as chunk:
            total += len(chunk["y"])
    return total


def standardisation(paths: list[Path]) -> tuple[float, float]:
    """Mean and standard deviation of every value in the chunks' x, computed in one streamed pass."""
    count, total, total_sq = 0, 0.0, 0.0
    for path in paths:
        x, _, _ = load_chunk(path)
        count += x.size
        total += float(x.sum(dtype=np.float64))
        total_sq += float(np.square(x, dtype=np.float64).sum())
    mean = total / count
    return mean, float(np.sqrt(max(total_sq / count - mean**2, 1e-12)))
