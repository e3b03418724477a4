"""Feature chunks as a tf.data pipeline for Keras: training streams them, chunk by chunk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from spectrogenre.chunks import count_rows, iter_batches


def chunk_dataset(paths: list[Path], input_shape: tuple[int, int], *, batch_size: int,
                  rng: np.random.Generator | None, shuffle_chunks: int) -> tf.data.Dataset:
    """A tf.data pipeline over chunk files; each pass (epoch) draws a new shuffle from `rng`.

    Batches leave Python as stored (float16) and TensorFlow's own threads make them float32:
    the generator holds the GIL, so the less it does, the more of the cores training gets.
    """
    def batches():
        for x, y, _ in iter_batches(paths, batch_size=batch_size, rng=rng, shuffle_chunks=shuffle_chunks,
                                    dtype=np.float16):
            yield x, y

    signature = (tf.TensorSpec((None, *input_shape), tf.float16), tf.TensorSpec((None,), tf.int32))
    n_batches = -(-count_rows(paths) // batch_size)
    dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
    dataset = dataset.map(lambda x, y: (tf.cast(x, tf.float32), y))
    return dataset.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(2)
