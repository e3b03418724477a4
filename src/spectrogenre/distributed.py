"""Training under tf.distribute: several GPUs of one machine (MirroredStrategy) or several machines
(MultiWorkerMirroredStrategy), each worker streaming its own shard of the chunk files.

The strategy is chosen the standard way: TF_CONFIG naming a cluster of more than one worker means
MultiWorkerMirroredStrategy; else more than one visible GPU means MirroredStrategy; else none, and
the caller trains with Keras's fit on one device, exactly as before.

Under a strategy the epoch loop is written here rather than left to Keras's fit, which fails under
MultiWorkerMirroredStrategy in Keras 3 (keras-team/keras#20585). Every replica's gradient is averaged
over the global batch (the optimizer sums the replicas'); the number of epochs is chosen exactly as
on one device (fitting.epochs_by_grouped_cv), each fold's held-out figures those of every worker's
shard added up (DistributedFold). Each worker trains on, standardises with and scores only its shard
of the clips; after training every worker holds the same weights.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spectrogenre.errors import SpectrogenreError

if TYPE_CHECKING:
    from spectrogenre.chunks import Chunk

TF_CONFIG = "TF_CONFIG"


def cluster_config(environ=os.environ) -> dict | None:
    """TF_CONFIG, parsed, when it names a cluster of more than one worker (chief included); else None."""
    raw = environ.get(TF_CONFIG, "").strip()
    if not raw:
        return None
    try:
        config = json.loads(raw)
        workers = sum(len(config["cluster"].get(role, [])) for role in ("chief", "worker"))
        task = config["task"]["type"], int(config["task"].get("index", 0))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise SpectrogenreError(f"{TF_CONFIG} must be JSON with a cluster (chief, worker addresses) and a task (type, "
                         f"index): {error!r} in {raw[:200]!r}") from None
    if task[0] not in ("chief", "worker"):
        raise SpectrogenreError(f"{TF_CONFIG}: task type {task[0]!r}; training runs on the chief and the workers only")
    return config if workers > 1 else None


def worker_position(config: dict | None) -> tuple[int, int]:
    """(this worker's index, number of workers): the chief first, then the workers in their order."""
    if config is None:
        return 0, 1
    cluster, task = config["cluster"], config["task"]
    chiefs = len(cluster.get("chief", []))
    index = int(task.get("index", 0)) + (chiefs if task["type"] == "worker" else 0)
    return index, chiefs + len(cluster.get("worker", []))


def strategy_kind(config: dict | None, n_gpus: int) -> str | None:
    """"multi_worker" under a TF_CONFIG cluster, "mirrored" on a machine with several GPUs, else None."""
    if config is not None:
        return "multi_worker"
    return "mirrored" if n_gpus > 1 else None


@functools.cache
def training_strategy():
    """The tf.distribute strategy to train under (see strategy_kind), or None for one device: one per process
    (a cluster's collective ops are configured once, at startup, before anything else touches TensorFlow)."""
    import tensorflow as tf

    kind = strategy_kind(cluster_config(), len(tf.config.list_physical_devices("GPU")))
    if kind == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy()
    return None


def shard(paths: list[Path], index: int, count: int) -> list[Path]:
    """Worker `index` of `count`'s chunk files: every count-th one, so shards differ by at most one file."""
    return list(paths[index::count])


class DistributedTrainer:
    """One strategy's training of a Keras classifier on chunk files (x, one-hot y), this worker on its shard.

    build(mean, std) returns a fresh compiled model (seeded, standardised with mean and std);
    batches(paths, rng) this worker's training batches of `paths` (x float32, y one-hot), one pass.
    """

    def __init__(self, strategy, *, build: Callable, batches: Callable, batch_size: int, seed: int):
        self.strategy = strategy
        self.build, self.batches = build, batches
        self.batch_size, self.seed = batch_size, seed
        self.worker, self.workers = worker_position(cluster_config())
        if not hasattr(strategy, "cluster_resolver") or strategy.cluster_resolver is None:
            self.worker, self.workers = 0, 1  # MirroredStrategy: one machine, whatever TF_CONFIG says
        self.local_replicas = len(strategy.extended.worker_devices)
        self._forwards: dict[int, Callable] = {}  # one traced forward pass per model evaluated

    def mine(self, paths: list[Chunk]) -> list[Chunk]:
        return shard(paths, self.worker, self.workers)

    def sum_over_workers(self, values: np.ndarray) -> np.ndarray:
        """Each worker's `values` (float64) added up across the cluster (one all-reduce)."""
        import tensorflow as tf

        zeros = np.zeros_like(values, np.float64)

        def replica_value(context):  # a worker's first replica carries its values, the others zeros
            first = context.replica_id_in_sync_group % self.local_replicas == 0
            return tf.constant(values if first else zeros, tf.float64)

        per_replica = self.strategy.experimental_distribute_values_from_function(replica_value)
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None).numpy()

    def fresh_model(self, paths: list[Chunk]):
        """A fresh compiled model under the strategy, standardised on the clips of every worker's shard of `paths`:
        (model, (mean, std))."""
        from spectrogenre.chunks import standardisation_from_sums, standardisation_sums

        mean, std = standardisation_from_sums(self.sum_over_workers(standardisation_sums(self.mine(paths))))
        with self.strategy.scope():
            model = self.build(mean, std)
            model.optimizer.build(model.trainable_variables)
        return model, (mean, std)

    def epochs(self, model, paths: list[Chunk], *, epochs: int) -> None:
        """Train `model` for `epochs` on the clips of `paths` (epoch_runner)."""
        train_epoch = self.epoch_runner(model, paths)
        for _ in range(epochs):
            train_epoch()

    def epoch_runner(self, model, paths: list[Chunk]) -> Callable[[], tuple[float, float]]:
        """A function that trains `model` one more epoch on the clips of `paths`: (train loss, train accuracy). An
        epoch is as many global batches as the clips of all the shards fill; each worker streams its own shard,
        starting it over (newly shuffled) when it runs out, so every step has data everywhere."""
        from spectrogenre.chunks import count_rows

        rng = np.random.default_rng([self.seed, self.worker])
        global_batch = self.batch_size * self.strategy.num_replicas_in_sync
        steps = -(-count_rows(paths) // global_batch)
        mine = self.mine(paths)
        if not mine:
            raise SpectrogenreError(f"worker {self.worker} of {self.workers} has no chunk file to train on ({len(paths)} "
                             "in all): use fewer workers, or smaller chunks (features.chunk_mb)")

        def dataset(_context):
            return self.batches(mine, rng).repeat()

        iterator = iter(self.strategy.distribute_datasets_from_function(dataset))
        step = self._train_step(model)

        def train_epoch() -> tuple[float, float]:
            sums = np.zeros(3)
            for _ in range(steps):
                sums += np.array([float(value) for value in step(iterator)])
            self.share_moving_statistics(model)
            return sums[0] / sums[2], sums[1] / sums[2]

        return train_epoch

    def share_moving_statistics(self, model) -> None:
        """Set batch normalisation's moving mean and variance to their mean over the workers. Each worker's moving
        statistics follow its own shard (the weights, in step everywhere, do not); shared after every epoch, they
        make validation and the saved model the same on every worker."""
        import keras

        variables = [variable for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
                     for variable in (layer.moving_mean, layer.moving_variance)]
        if not variables or self.workers == 1:
            return
        values = [np.asarray(variable.numpy(), np.float64) for variable in variables]
        mean = self.sum_over_workers(np.concatenate([value.ravel() for value in values])) / self.workers
        start = 0
        for variable, value in zip(variables, values, strict=True):
            variable.assign(mean[start: start + value.size].reshape(value.shape).astype(np.float32))
            start += value.size

    def _train_step(self, model):
        import keras
        import tensorflow as tf

        strategy, optimizer, add = self.strategy, model.optimizer, tf.distribute.ReduceOp.SUM

        def replica_step(x, y):
            n = tf.distribute.get_replica_context().all_reduce(add, tf.cast(tf.shape(y)[0], tf.float32))
            with tf.GradientTape() as tape:
                probabilities = model(x, training=True)
                losses = keras.losses.categorical_crossentropy(y, probabilities)
                loss = tf.reduce_sum(losses) / n  # the global batch's mean, once the replicas' gradients are summed
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            correct = tf.cast(tf.argmax(probabilities, axis=1) == tf.argmax(y, axis=1), tf.float32)
            return tf.reduce_sum(losses), tf.reduce_sum(correct), tf.cast(tf.shape(y)[0], tf.float32)

        @tf.function
        def step(iterator):
            x, y = next(iterator)
            return [strategy.reduce(add, value, axis=None) for value in strategy.run(replica_step, args=(x, y))]

        return step

    def evaluate(self, model, paths: list[Chunk]) -> tuple[float, float]:
        """(loss, accuracy) on the clips of every worker's shard of `paths`, added up across the cluster."""
        import tensorflow as tf

        from spectrogenre.chunks import iter_batches
        from spectrogenre.model import CLIPS_PER_PASS

        forward = self._forwards.setdefault(id(model), tf.function(lambda x: model(x, training=False),
                                                                      reduce_retracing=True))
        sums = np.zeros(3)
        for x, y, _ in iter_batches(self.mine(paths), batch_size=CLIPS_PER_PASS):
            probabilities = forward(x).numpy().astype(np.float64)
            picked = np.clip(probabilities[np.arange(len(y)), y], 1e-7, 1.0)
            sums += (-np.log(picked).sum(), (probabilities.argmax(axis=1) == y).sum(), len(y))
        total = self.sum_over_workers(sums)
        return total[0] / total[2], total[1] / total[2]

    def plain_copy(self, model, mean_std: tuple[float, float]):
        """The trained weights in a model built outside the strategy: what train saves and predicts with."""
        plain = self.build(*mean_std)
        plain.set_weights(model.get_weights())
        plain.optimizer.build(plain.trainable_variables)  # and the optimizer's state, as fit's model would save it
        for target, source in zip(plain.optimizer.variables, model.optimizer.variables, strict=True):
            target.assign(source.numpy())
        return plain


class DistributedFold:
    """One fold of fitting.epochs_by_grouped_cv under the strategy: `model` (fresh, standardised with mean_std)
    trains on every worker's shard of `fit_paths`; its held-out figures add up every worker's shard of
    `held_paths`; the held-out probabilities at the kept epoch are of every held-out clip, on every worker."""

    def __init__(self, trainer: DistributedTrainer, model, mean_std: tuple[float, float], fit_paths: list[Chunk],
                 held_paths: list[Chunk]):
        self.trainer, self.model, self.mean_std, self.held_paths = trainer, model, mean_std, held_paths
        self.train_epoch = trainer.epoch_runner(model, fit_paths)
        self.kept = None

    def score(self) -> tuple[float, float]:
        return self.trainer.evaluate(self.model, self.held_paths)

    def keep(self) -> None:
        self.kept = self.model.get_weights()

    def held_out(self) -> tuple[np.ndarray, np.ndarray]:
        from spectrogenre.model import predict_chunks

        self.model.set_weights(self.kept)
        probabilities, labels, _ = predict_chunks(self.trainer.plain_copy(self.model, self.mean_std), self.held_paths)
        return probabilities, labels
