"""The seed's CNN, trained from scratch on the log spectrogram, streamed from the feature chunks (or from
random offsets of the audio), augmented as `train` says. The number of epochs is chosen by validation
accuracy; the same training then runs again on train + val for that many epochs."""

from __future__ import annotations

import time
from collections.abc import Callable
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


def fit(model_params: ModelParams, params: TrainParams, *, train_paths: list[Path], val_paths: list[Path],
        input_shape: tuple[int, int], n_genres: int, live_dir: Path, work_dir: Path,
        offsets: RandomOffsetClips | None = None, refit_offsets: RandomOffsetClips | None = None) -> Fitted:
    """Train from scratch on the train chunks, keeping the epoch with the best accuracy on the val chunks (its
    val probabilities are the held-out ones); then train again on train + val for that many epochs.

    offsets / refit_offsets: with train.random_offsets, the train clips' and the train + val clips' audio.
    Under a tf.distribute strategy (distributed.training_strategy: several GPUs, or a TF_CONFIG cluster) the
    same, each worker on its shard of the chunks (_fit_distributed).
    """
    from spectrogenre.distributed import training_strategy

    strategy = training_strategy()  # first: a cluster's collective ops are set up before TensorFlow starts
    if strategy is not None:
        return _fit_distributed(strategy, params, train_paths=train_paths, val_paths=val_paths,
                                input_shape=input_shape, n_genres=n_genres, live_dir=live_dir, offsets=offsets)

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


def _fit_distributed(strategy, params: TrainParams, *, train_paths: list[Path], val_paths: list[Path],
                     input_shape: tuple[int, int], n_genres: int, live_dir: Path,
                     offsets: RandomOffsetClips | None) -> Fitted:
    """fit under a tf.distribute strategy: the best epoch by validation accuracy of all workers' val clips (early
    stopping as on one device), then train + val for that many epochs; every worker streams its own shard."""
    from spectrogenre.distributed import DistributedTrainer, EarlyStop
    from spectrogenre.errors import ParamsError
    from spectrogenre.fitting import Fitted, best_epoch, live
    from spectrogenre.model import predict_chunks

    if offsets is not None:
        raise ParamsError("train.random_offsets cuts clips from the audio, which is not sharded between workers: "
                         "set it to false to train under tf.distribute (TF_CONFIG, or several GPUs)")
    started = time.perf_counter()
    trainer = DistributedTrainer(
        strategy, build=_builder(input_shape, n_genres=n_genres, params=params), batch_size=params.batch_size,
        seed=params.seed, batches=lambda paths, rng: training_batches(paths, input_shape, n_genres=n_genres,
                                                                      params=params, offsets=None, rng=rng))
    model, mean_std = trainer.fresh_model(train_paths)
    stop, best_weights, val_accuracy, val_loss = EarlyStop(params.patience, params.start_from_epoch), None, [], []
    with live(live_dir) as log:
        def on_epoch(epoch: int, loss: float, accuracy: float) -> bool:
            nonlocal best_weights
            epoch_val_loss, epoch_val_accuracy = trainer.evaluate(model, val_paths)
            val_loss.append(epoch_val_loss)
            val_accuracy.append(epoch_val_accuracy)
            for name, value in (("train/loss", loss), ("train/accuracy", accuracy), ("eval/loss", epoch_val_loss),
                                ("eval/accuracy", epoch_val_accuracy)):
                log.log_metric(name, round(float(value), 6))
            log.next_step()
            print(f"epoch {epoch}: loss {loss:.4f}, accuracy {accuracy:.4f}, val_loss {epoch_val_loss:.4f}, "
                  f"val_accuracy {epoch_val_accuracy:.4f}", flush=True)
            keep, halt = stop.update(epoch_val_accuracy)
            if keep:
                best_weights = model.get_weights()
            return halt

        trainer.epochs(model, train_paths, epochs=params.epochs, on_epoch=on_epoch)
    model.set_weights(best_weights)
    probs, labels, _ = predict_chunks(trainer.plain_copy(model, mean_std), val_paths)
    summary = {"best_epoch": best_epoch(val_accuracy, val_loss),
               "best_val_accuracy": round(float(max(val_accuracy)), 4), "epochs_run": len(val_accuracy)}

    both = [*train_paths, *val_paths]
    model, (mean, std) = trainer.fresh_model(both)
    trainer.epochs(model, both, epochs=summary["best_epoch"])
    seconds = time.perf_counter() - started
    return Fitted(trainer.plain_copy(model, (mean, std)), held_out=(probs, labels), summary=summary | {
        "train_clips_from": "fixed cuts", "fitted_on": f"train + val clips, {summary['best_epoch']} epochs",
        "distributed": {"strategy": type(strategy).__name__, "replicas": int(strategy.num_replicas_in_sync),
                        "workers": trainer.workers, "worker": trainer.worker,
                        "train_chunk_files": len(trainer.mine(train_paths))},
        "train_seconds": round(seconds, 1), "input_mean_db": round(mean, 3), "input_std_db": round(std, 3),
    })


KIND = ModelKind(name="seed_cnn", description="the seed's CNN on the log spectrogram, trained from scratch", fit=fit)
