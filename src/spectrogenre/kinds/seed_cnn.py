"""The seed's CNN, trained from scratch on the log spectrogram, streamed from the feature chunks (or from
random offsets of the audio), augmented as `train` says. The number of epochs is chosen by validation
accuracy; the same training then runs again on train + val for that many epochs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spectrogenre.kinds.base import ModelKind
from spectrogenre.params import ModelParams, TrainParams

if TYPE_CHECKING:
    import tensorflow as tf

    from spectrogenre.fitting import Fitted
    from spectrogenre.offsets import RandomOffsetClips


def training_batches(train_paths: list[Path], input_shape: tuple[int, int], *, n_genres: int, params: TrainParams,
                     offsets: RandomOffsetClips | None) -> tf.data.Dataset:
    """The seed CNN's training input: (x float32 (b, *input_shape), soft labels (b, n_genres)), augmented.

    From the stored chunks, or with `offsets` new clips at random offsets every epoch.
    """
    import tensorflow as tf

    from spectrogenre.augment import augment_batch
    from spectrogenre.streaming import chunk_dataset

    rng = np.random.default_rng(params.seed)
    if offsets is None:
        data = chunk_dataset(train_paths, input_shape, batch_size=params.batch_size, rng=rng,
                             shuffle_chunks=params.shuffle_chunks)
    else:
        signature = (tf.TensorSpec((None, *input_shape), tf.float32), tf.TensorSpec((None,), tf.int32))
        data = tf.data.Dataset.from_generator(lambda: offsets.batches(rng, batch_size=params.batch_size),
                                              output_signature=signature)
        data = data.apply(tf.data.experimental.assert_cardinality(-(-offsets.n_clips // params.batch_size)))

    if not params.augments:  # no Python per batch: the generator's GIL time is what streaming saves
        return data.map(lambda x, y: (x, tf.one_hot(y, n_genres)))

    def augmented(x, y):
        return augment_batch(x, y, n_genres=n_genres, params=params, rng=rng)

    data = data.map(lambda x, y: tf.numpy_function(augmented, [x, y], (tf.float32, tf.float32), stateful=True))
    return data.map(lambda x, y: (tf.ensure_shape(x, (None, *input_shape)), tf.ensure_shape(y, (None, n_genres))))


def fit(model_params: ModelParams, params: TrainParams, *, train_paths: list[Path], val_paths: list[Path],
        input_shape: tuple[int, int], n_genres: int, live_dir: Path, work_dir: Path,
        offsets: RandomOffsetClips | None = None, refit_offsets: RandomOffsetClips | None = None) -> Fitted:
    """Train from scratch on the train chunks, keeping the epoch with the best accuracy on the val chunks (its
    val probabilities are the held-out ones); then train again on train + val for that many epochs.

    offsets / refit_offsets: with train.random_offsets, the train clips' and the train + val clips' audio.
    """
    import tensorflow as tf

    from spectrogenre.chunks import count_rows
    from spectrogenre.fitting import Fitted, best_of_epochs
    from spectrogenre.model import predict_chunks
    from spectrogenre.streaming import chunk_dataset

    started = time.perf_counter()
    model, _ = _compiled(train_paths, input_shape, n_genres=n_genres, params=params)
    train_data = training_batches(train_paths, input_shape, n_genres=n_genres, params=params, offsets=offsets)
    val_data = chunk_dataset(val_paths, input_shape, batch_size=params.batch_size, rng=None, shuffle_chunks=1)
    val_data = val_data.map(lambda x, y: (x, tf.one_hot(y, n_genres)))
    model, summary = best_of_epochs(model, train_data, val_data, params=params, live_dir=live_dir, work_dir=work_dir)
    probs, labels, _ = predict_chunks(model, val_paths)

    both = [*train_paths, *val_paths]  # the same training on train + val, for the chosen epochs
    model, (mean, std) = _compiled(both, input_shape, n_genres=n_genres, params=params)
    model.fit(training_batches(both, input_shape, n_genres=n_genres, params=params, offsets=refit_offsets),
              epochs=summary["best_epoch"], shuffle=False, verbose=0)  # the dataset shuffles itself
    seconds = time.perf_counter() - started
    clips = (offsets.n_clips if offsets is not None else count_rows(train_paths)) * summary["epochs_run"] + (
        refit_offsets.n_clips if refit_offsets is not None else count_rows(both)) * summary["best_epoch"]
    return Fitted(model, held_out=(probs, labels), summary=summary | {
        "train_clips_from": "random offsets" if offsets is not None else "fixed cuts",
        "fitted_on": f"train + val clips, {summary['best_epoch']} epochs",
        "train_seconds": round(seconds, 1),
        "train_samples_per_second": round(clips / seconds, 1),
        "input_mean_db": round(mean, 3), "input_std_db": round(std, 3),
    })


def _compiled(paths: list[Path], input_shape: tuple[int, int], *, n_genres: int, params: TrainParams):
    """A fresh seed CNN (seeded) standardised on the clips of `paths`, compiled; and (mean, std) in dB."""
    import keras

    from spectrogenre.chunks import standardisation
    from spectrogenre.model import build_seed_cnn

    keras.utils.set_random_seed(params.seed)
    mean, std = standardisation(paths)
    model = build_seed_cnn(input_shape, n_genres, mean=mean, std=std)
    model.compile(optimizer=keras.optimizers.Adam(params.learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model, (mean, std)


KIND = ModelKind(name="seed_cnn", description="the seed's CNN on the log spectrogram, trained from scratch", fit=fit)
