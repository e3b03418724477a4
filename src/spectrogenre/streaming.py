"""Feature chunks as a tf.data pipeline for Keras: training streams them, chunk by chunk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from spectrogenre.chunks import count_rows, iter_groups

PIECE_BATCHES = 4  # batches per hand-over from Python to TensorFlow
PREFETCH_BATCHES = 8  # float32 batches ready ahead of the model: covers filling the next group


def chunk_dataset(paths: list[Path], input_shape: tuple[int, int], *, batch_size: int,
                  rng: np.random.Generator | None, shuffle_chunks: int,
                  prefetch: int = PREFETCH_BATCHES) -> tf.data.Dataset:
    """(x float32 (batch, *input_shape), y int32 (batch,)) batches of the chunk files: ceil(rows / batch_size).

    Each pass (epoch) draws a new shuffle from `rng`, as `chunks.iter_batches` does: the same rows
    in the same order. Python only fills each group of `shuffle_chunks` chunks and hands it over
    in slices of PIECE_BATCHES batches (views, float16); TensorFlow cuts the batches (across
    groups), casts them to float32 and keeps `prefetch` of them ready, on its own threads, while
    the next group fills. Memory: one group of chunks, one chunk, a slice and `prefetch` batches.
    """
    piece = PIECE_BATCHES * batch_size

    def slices():
        for x, y, _ in iter_groups(paths, rng=rng, shuffle_chunks=shuffle_chunks):
            n = len(y)
            last = (n - 1) // piece * piece  # a partial last slice is copied: the batch that joins it
            for start in range(0, last, piece):  # to the next group must not keep this group alive
                yield x[start: start + piece], y[start: start + piece]
            yield x[last:].copy(), y[last:].copy()
            del x, y  # before the next group fills

    signature = (tf.TensorSpec((None, *input_shape), tf.float16), tf.TensorSpec((None,), tf.int32))
    n_batches = -(-count_rows(paths) // batch_size)
    dataset = tf.data.Dataset.from_generator(slices, output_signature=signature).rebatch(batch_size)
    dataset = dataset.map(lambda x, y: (tf.cast(x, tf.float32), y))
    return dataset.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(prefetch)
