"""The seed's CNN, trained from scratch on the log spectrogram, streamed from the feature chunks (or from
random offsets of the audio), augmented as `train` says. The number of epochs is chosen by grouped
cross-validation over the train + val clips; the same training then runs again on all of them for that many."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spectrogenre.kinds.base import ModelKind
from spectrogenre.params import ModelParams, TrainParams

if TYPE_CHECKING:
    import pandas as pd
    import tensorflow as tf

    from spectrogenre.chunks import Chunk
    from spectrogenre.fitting import Fitted
    from spectrogenre.offsets import RandomOffsetClips


def training_batches(train_paths: list[Chunk], input_shape: tuple[int, int], *, n_genres: int, params: TrainParams,
                     offsets: RandomOffsetClips | None, rng: np.random.Generator | None = None) -> tf.data.Dataset:
    """The seed CNN's training input: (x float32 (b, *input_shape), soft labels (b, n_genres)), augmented.

    From the stored chunks, or with `offsets` new clips at random offsets every epoch. Shuffled and
    augmented by `rng` (default: seeded with train.seed).
    """
    import tensorflow as tf

    from spectrogenre.augment import augment_batch
    from spectrogenre.streaming import chunk_dataset

    rng = np.random.default_rng(params.seed) if rng is None else rng
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


def fit(model_params: ModelParams, params: TrainParams, *, train_paths: list[Chunk], val_paths: list[Chunk],
        groups: pd.Series, input_shape: tuple[int, int], n_genres: int, live_dir: Path,
        offsets: RandomOffsetClips | None = None) -> Fitted:
    """Train from scratch on train + val: the number of epochs is chosen by grouped cross-validation over their
    clips (train.epoch_folds folds of whole split groups, trained side by side with early stopping on their mean
    held-out accuracy: fitting.epochs_by_grouped_cv), then the training runs again on every clip for that many.

    groups: each clip's split group, by clip_id. offsets: with train.random_offsets, the train + val clips'
    audio (each fold draws from its own groups'). Under a tf.distribute strategy (distributed.training_strategy:
    several GPUs, or a TF_CONFIG cluster) the same, each worker on its shard of the chunks (_fit_distributed).
    """
    from spectrogenre.chunks import clip_labels, select_rows
    from spectrogenre.distributed import training_strategy
    from spectrogenre.fitting import epoch_folds

    strategy = training_strategy()  # first: a cluster's collective ops are set up before TensorFlow starts
    both = [*train_paths, *val_paths]
    labels, ids = clip_labels(both)
    held_masks = epoch_folds(labels, groups[ids].to_numpy(), params=params)
    folds = [(select_rows(both, ids[~held]), select_rows(both, ids[held])) for held in held_masks]
    if strategy is not None:
        return _fit_distributed(strategy, params, both=both, folds=folds, input_shape=input_shape,
                                n_genres=n_genres, live_dir=live_dir, offsets=offsets)

    from spectrogenre.fitting import Fitted, KerasFold, epochs_by_grouped_cv
    from spectrogenre.model import predict_chunks

    started = time.perf_counter()
    trainings = []
    for held, (fit_rows, held_rows) in zip(held_masks, folds, strict=True):
        model, _ = _compiled(fit_rows, input_shape, n_genres=n_genres, params=params)
        fold_offsets = None if offsets is None else offsets.subset(ids[~held])
        data = training_batches(fit_rows, input_shape, n_genres=n_genres, params=params, offsets=fold_offsets)
        trainings.append(KerasFold(model, data, lambda model, rows=held_rows: predict_chunks(model, rows)[:2]))
    summary, held_out = epochs_by_grouped_cv(trainings, params=params, live_dir=live_dir)
    del trainings

    model, (mean, std) = _compiled(both, input_shape, n_genres=n_genres, params=params)
    model.fit(training_batches(both, input_shape, n_genres=n_genres, params=params, offsets=offsets),
              epochs=summary["best_epoch"], shuffle=False, verbose=0)  # the dataset shuffles itself
    seconds = time.perf_counter() - started
    clips = sum(int((~held).sum()) for held in held_masks) * summary["epochs_run"] + (
        len(labels) * summary["best_epoch"])
    return Fitted(model, held_out=held_out, summary=summary | {
        "train_clips_from": "random offsets" if offsets is not None else "fixed cuts",
        "fitted_on": f"train + val clips, {summary['best_epoch']} epochs",
        "train_seconds": round(seconds, 1),
        "train_samples_per_second": round(clips / seconds, 1),
        "input_mean_db": round(mean, 3), "input_std_db": round(std, 3),
    })


def _compiled(paths: list[Chunk], input_shape: tuple[int, int], *, n_genres: int, params: TrainParams):
    """A fresh seed CNN (seeded) standardised on the clips of `paths`, compiled; and (mean, std) in dB."""
    from spectrogenre.chunks import standardisation

    mean, std = standardisation(paths)
    return _builder(input_shape, n_genres=n_genres, params=params)(mean, std), (mean, std)


def _builder(input_shape: tuple[int, int], *, n_genres: int, params: TrainParams) -> Callable:
    """build(mean, std): a fresh seed CNN, seeded with train.seed, standardised with mean and std dB, compiled."""
    import keras

    from spectrogenre.model import build_seed_cnn

    def build(mean: float, std: float) -> keras.Model:
        keras.utils.set_random_seed(params.seed)
        model = build_seed_cnn(input_shape, n_genres, mean=mean, std=std)
        model.compile(optimizer=keras.optimizers.Adam(params.learning_rate), loss="categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    return build


def _fit_distributed(strategy, params: TrainParams, *, both: list[Chunk], folds: list[tuple[list, list]],
                     input_shape: tuple[int, int], n_genres: int, live_dir: Path,
                     offsets: RandomOffsetClips | None) -> Fitted:
    """fit under a tf.distribute strategy: the folds train side by side as on one device (each worker on its shard
    of a fold's clips; the held-out figures of every worker's shard added up), then train + val for the chosen
    number of epochs. folds: (training rows, held-out rows) of each fold of train + val (`both`)."""
    from spectrogenre.distributed import DistributedFold, DistributedTrainer
    from spectrogenre.errors import ParamsError
    from spectrogenre.fitting import Fitted, epochs_by_grouped_cv

    if offsets is not None:
        raise ParamsError("train.random_offsets cuts clips from the audio, which is not sharded between workers: "
                         "set it to false to train under tf.distribute (TF_CONFIG, or several GPUs)")
    started = time.perf_counter()
    trainer = DistributedTrainer(
        strategy, build=_builder(input_shape, n_genres=n_genres, params=params), batch_size=params.batch_size,
        seed=params.seed, batches=lambda paths, rng: training_batches(paths, input_shape, n_genres=n_genres,
                                                                      params=params, offsets=None, rng=rng))
    trainings = [DistributedFold(trainer, *trainer.fresh_model(fit_rows), fit_rows, held_rows)
                 for fit_rows, held_rows in folds]
    summary, held_out = epochs_by_grouped_cv(trainings, params=params,
                                             live_dir=live_dir if trainer.worker == 0 else None)  # fitting.live
    del trainings

    model, (mean, std) = trainer.fresh_model(both)
    trainer.epochs(model, both, epochs=summary["best_epoch"])
    seconds = time.perf_counter() - started
    return Fitted(trainer.plain_copy(model, (mean, std)), held_out=held_out, summary=summary | {
        "train_clips_from": "fixed cuts", "fitted_on": f"train + val clips, {summary['best_epoch']} epochs",
        "distributed": {"strategy": type(strategy).__name__, "replicas": int(strategy.num_replicas_in_sync),
                        "workers": trainer.workers, "worker": trainer.worker,
                        "train_chunk_files": len(trainer.mine(both))},
        "train_seconds": round(seconds, 1), "input_mean_db": round(mean, 3), "input_std_db": round(std, 3),
    })


KIND = ModelKind(name="seed_cnn", description="the seed's CNN on the log spectrogram, trained from scratch", fit=fit)
