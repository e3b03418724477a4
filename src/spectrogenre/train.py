"""Stage `train`: fit the chosen model kind on the training clips, keep the best by validation.

Kinds (params `model.kind`):
- seed_cnn      the seed CNN, streamed from the feature chunks (or from random offsets of
                the audio), augmented as `train` says, best epoch by validation accuracy;
- mfcc_logreg   MFCC statistics + logistic regression: the trivial baseline;
- musicnn       pretrained musicnn's clip embedding + logistic regression; with
                `model.fine_tune` its top layers and the head then train together on
                cached pooled features, the number of epochs chosen by validation accuracy.
The head kinds use all the clips they are given: the logistic regression's C is chosen by
grouped cross-validation over train + val and the head refitted on both; fine-tuning is
refitted on train + val for the chosen number of epochs. Every kind also returns held-out
probabilities (clips the model that made them never saw), on which evaluate calibrates.
Every kind ends as one Keras model: log spectrogram (bins, frames) -> genre probabilities.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from dvclive import Live
from dvclive.keras import DVCLiveCallback

from spectrogenre.augment import augment_batch
from spectrogenre.chunks import count_rows, standardisation
from spectrogenre.files import atomic_path, fresh_dir, read_json, write_json, write_npz
from spectrogenre.frontend import Frontend
from spectrogenre.heads import LogisticHead, attach_head, choose_c, fit_logistic_head, head_summary
from spectrogenre.model import build_seed_cnn, predict_chunks
from spectrogenre.offsets import RandomOffsetClips
from spectrogenre.params import ModelParams, TrainParams
from spectrogenre.streaming import chunk_dataset

FINE_TUNE_RATE = 0.1  # fine-tuning pretrained layers: train.learning_rate x this


@dataclass
class Fitted:
    """A trained classifier; for head kinds also how it maps cached clip features to probabilities.

    held_out: (probabilities (n, genres), labels (n,)) of clips that the model which made them
    did not train on: the calibration's data.
    """

    model: keras.Model
    summary: dict
    predict_features: Callable[[np.ndarray], np.ndarray] | None = None
    held_out: tuple[np.ndarray, np.ndarray] | None = None


def split_paths(features_dir: Path, dataset: dict, split: str) -> list[Path]:
    return [features_dir / name for name in dataset["chunks"][split]]


def _live(live_dir: Path) -> Live:
    return Live(dir=str(live_dir), save_dvc_exp=False, dvcyaml=None)


def _best_of_epochs(model: keras.Model, train_data, val_data, *, params: TrainParams, live_dir: Path,
                    work_dir: Path) -> tuple[keras.Model, dict]:
    """Fit for up to params.epochs; the epoch with the best validation accuracy (after the warm-up) is returned."""
    best = Path(work_dir) / ".best.keras"
    callbacks = [
        keras.callbacks.ModelCheckpoint(best, monitor="val_accuracy", mode="max", save_best_only=True),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=params.patience,
                                      start_from_epoch=params.start_from_epoch),
        DVCLiveCallback(live=_live(live_dir)),
    ]
    history = model.fit(train_data, validation_data=val_data, epochs=params.epochs, callbacks=callbacks,
                        shuffle=False, verbose=1 if sys.stdout.isatty() else 2)  # 2: one line per epoch in logs
    model = keras.models.load_model(best)
    best.unlink()
    val_accuracy = history.history["val_accuracy"]
    return model, {"best_epoch": int(np.argmax(val_accuracy)) + 1,
                   "best_val_accuracy": round(float(max(val_accuracy)), 4), "epochs_run": len(val_accuracy)}


def training_batches(train_paths: list[Path], input_shape: tuple[int, int], *, n_genres: int, params: TrainParams,
                     offsets: RandomOffsetClips | None) -> tf.data.Dataset:
    """The seed CNN's training input: (x float32 (b, *input_shape), soft labels (b, n_genres)), augmented.

    From the stored chunks, or with `offsets` new clips at random offsets every epoch.
    """
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


def fit_seed_cnn(train_paths: list[Path], val_paths: list[Path], *, input_shape: tuple[int, int], n_genres: int,
                 params: TrainParams, live_dir: Path, work_dir: Path,
                 offsets: RandomOffsetClips | None = None) -> Fitted:
    keras.utils.set_random_seed(params.seed)
    mean, std = standardisation(train_paths)
    model = build_seed_cnn(input_shape, n_genres, mean=mean, std=std)
    model.compile(optimizer=keras.optimizers.Adam(params.learning_rate), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    train_data = training_batches(train_paths, input_shape, n_genres=n_genres, params=params, offsets=offsets)
    val_data = chunk_dataset(val_paths, input_shape, batch_size=params.batch_size, rng=None, shuffle_chunks=1)
    val_data = val_data.map(lambda x, y: (x, tf.one_hot(y, n_genres)))
    started = time.perf_counter()
    model, summary = _best_of_epochs(model, train_data, val_data, params=params, live_dir=live_dir, work_dir=work_dir)
    seconds = time.perf_counter() - started
    train_clips = offsets.n_clips if offsets is not None else count_rows(train_paths)
    return Fitted(model, summary | {
        "train_clips_from": "random offsets" if offsets is not None else "fixed cuts",
        "train_seconds": round(seconds, 1),
        "train_samples_per_second": round(train_clips * summary["epochs_run"] / seconds, 1),
        "input_mean_db": round(mean, 3), "input_std_db": round(std, 3),
    })


def feature_extractor(model: ModelParams, frontend: Frontend, input_shape: tuple[int, int]):
    """(the frozen feature model: log spectrogram -> clip features, the musicnn backbone or None) of a head kind."""
    inputs = keras.Input(shape=input_shape, name="log_spectrogram")
    if model.kind == "mfcc_logreg":
        from spectrogenre.mfcc import mfcc_statistics_layer

        return keras.Model(inputs, mfcc_statistics_layer(frontend)(inputs), name="mfcc_statistics"), None
    from spectrogenre.musicnn.checkpoint import load_musicnn
    from spectrogenre.musicnn.classifier import clip_embedder, pooled_patches

    backbone = load_musicnn()
    extractor = pooled_patches if model.fine_tune else clip_embedder
    return extractor(input_shape, backbone), backbone


def fit_on_features(model: ModelParams, params: TrainParams, *, extractor: keras.Model, backbone: keras.Model | None,
                    train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
                    groups: tuple[np.ndarray, np.ndarray], n_genres: int, input_shape: tuple[int, int], live_dir: Path,
                    work_dir: Path) -> Fitted:
    """A head kind's classifier from its clips' cached features: (features (n, ...), labels (n,)) per split,
    and each clip's split group (album, else artist, else track) for the grouped choice of C."""
    started = time.perf_counter()
    if not model.fine_tune or model.kind != "musicnn":
        features, labels = np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]])
        choice = choose_c(features, labels, np.concatenate(groups), n_genres=n_genres, seed=params.seed)
        head = fit_logistic_head(features, labels, n_genres=n_genres, c=choice.c)
        fitted_loss = head_summary(head, {"train": (features, labels)})
        cv_accuracy = round(float((choice.held_out.argmax(axis=1) == labels).mean()), 4)
        with _live(live_dir) as live:  # one step, so the training plots exist for every kind
            live.log_metric("train/accuracy", fitted_loss["train_accuracy"])
            live.log_metric("train/loss", fitted_loss["train_loss"])
            live.log_metric("eval/accuracy", cv_accuracy)
            live.log_metric("eval/loss", choice.log_loss[choice.c])
        summary = {"best_val_accuracy": cv_accuracy, "head_c": choice.c,
                   "selected_by": f"grouped {choice.folds}-fold cross-validation on train + val clips",
                   "cv_log_loss": {str(c): v for c, v in choice.log_loss.items()}, "fitted_on": "train + val clips",
                   "train_accuracy": fitted_loss["train_accuracy"], "train_loss": fitted_loss["train_loss"]}
        return Fitted(attach_head(extractor, head, name=model.kind),
                      summary | {"train_seconds": round(time.perf_counter() - started, 1)}, head.probabilities,
                      held_out=(choice.held_out, labels))
    return _fine_tune_musicnn(params, extractor=extractor, backbone=backbone, train=train, val=val, groups=groups,
                              n_genres=n_genres, input_shape=input_shape, live_dir=live_dir, work_dir=work_dir,
                              started=started)


def _musicnn_trainer(backbone, start: LogisticHead, *, n_patches: int, n_genres: int, params: TrainParams):
    """musicnn's top layers (a fresh copy of the backbone's) and a genre layer that starts as `start`, compiled."""
    from spectrogenre.musicnn.classifier import top_layers

    top = top_layers(backbone, n_patches=n_patches)
    inputs = keras.Input(shape=(n_patches, top.input.shape[-1]), name="pooled_patches")
    x = keras.layers.Normalization(axis=-1, mean=start.mean, variance=np.square(start.scale),
                                   name="standardise_features")(top(inputs))
    genre = keras.layers.Dense(n_genres, activation="softmax", name="genre")
    trainer = keras.Model(inputs, genre(keras.layers.Dropout(0.5)(x)), name="musicnn_top_and_head")
    genre.set_weights([start.weights, start.bias])
    trainer.compile(optimizer=keras.optimizers.Adam(params.learning_rate * FINE_TUNE_RATE),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return trainer


def _fine_tune_musicnn(params: TrainParams, *, extractor, backbone, train, val, groups, n_genres, input_shape,
                       live_dir, work_dir, started) -> Fitted:
    """musicnn's top layers (pooled batch norm, dense 200, embedding batch norm) and a logistic head, trained
    together on the cached pooled patches; the head starts from the frozen embeddings' logistic regression
    (C by grouped cross-validation). The best number of epochs on val chosen, the same training is rerun
    on train + val for that many epochs."""
    from spectrogenre.musicnn.classifier import clip_embedder, top_layers, write_top_weights

    n_patches = train[0].shape[1]
    frozen_top = top_layers(backbone, n_patches=n_patches)
    embedded = [frozen_top.predict(part[0], verbose=0) for part in (train, val)]
    both = (np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]]))
    choice = choose_c(np.concatenate(embedded), both[1], np.concatenate(groups), n_genres=n_genres, seed=params.seed)

    keras.utils.set_random_seed(params.seed)
    start = fit_logistic_head(embedded[0], train[1], n_genres=n_genres, c=choice.c)
    trainer = _musicnn_trainer(backbone, start, n_patches=n_patches, n_genres=n_genres, params=params)
    batches = lambda part: (tf.data.Dataset.from_tensor_slices(part)  # noqa: E731
                            .shuffle(len(part[1]), seed=params.seed).batch(params.batch_size))
    val_data = tf.data.Dataset.from_tensor_slices(val).batch(params.batch_size)
    trainer, summary = _best_of_epochs(trainer, batches(train), val_data, params=params, live_dir=live_dir,
                                       work_dir=work_dir)
    held_out = (trainer.predict(val[0], verbose=0), val[1])

    keras.utils.set_random_seed(params.seed)  # the same training on train + val, for the chosen epochs
    start = fit_logistic_head(np.concatenate(embedded), both[1], n_genres=n_genres, c=choice.c)
    trainer = _musicnn_trainer(backbone, start, n_patches=n_patches, n_genres=n_genres, params=params)
    trainer.fit(batches(both), epochs=summary["best_epoch"], verbose=0)
    tuned = keras.models.clone_model(backbone)  # the shared backbone stays pretrained (crossval's next fold)
    tuned.set_weights(backbone.get_weights())
    write_top_weights(trainer.get_layer("musicnn_top"), tuned)
    weights, bias = trainer.get_layer("genre").get_weights()
    head = LogisticHead(mean=start.mean, scale=start.scale, weights=weights, bias=bias)
    model = attach_head(clip_embedder(input_shape, tuned), head, name="musicnn_fine_tuned")
    summary |= {"head_c": choice.c, "fitted_on": f"train + val clips, {summary['best_epoch']} epochs"}
    return Fitted(model, summary | {"train_seconds": round(time.perf_counter() - started, 1)},
                  lambda features: trainer.predict(features, verbose=0), held_out=held_out)


def fit_classifier(model: ModelParams, params: TrainParams, *, frontend: Frontend, input_shape: tuple[int, int],
                   n_genres: int, train_paths: list[Path], val_paths: list[Path], group_of: pd.Series,
                   live_dir: Path, work_dir: Path, offsets: RandomOffsetClips | None = None) -> Fitted:
    """Train `model.kind` on the clips of the train chunks, choosing by the val chunks (see the module doc).

    group_of: each clip's split group, by clip_id (the grouped choice of the heads' C).
    """
    if model.kind == "seed_cnn":
        fitted = fit_seed_cnn(train_paths, val_paths, input_shape=input_shape, n_genres=n_genres, params=params,
                              live_dir=live_dir, work_dir=work_dir, offsets=offsets)
        probs, labels, _ = predict_chunks(fitted.model, val_paths)
        fitted.held_out = (probs, labels)
        return fitted
    extractor, backbone = feature_extractor(model, frontend, input_shape)
    started = time.perf_counter()
    x_train, y_train, train_ids = predict_chunks(extractor, train_paths)
    x_val, y_val, val_ids = predict_chunks(extractor, val_paths)
    extract_seconds = time.perf_counter() - started
    fitted = fit_on_features(model, params, extractor=extractor, backbone=backbone, train=(x_train, y_train),
                             val=(x_val, y_val), groups=(group_of[train_ids].to_numpy(), group_of[val_ids].to_numpy()),
                             n_genres=n_genres, input_shape=input_shape, live_dir=live_dir, work_dir=work_dir)
    fitted.summary["train_seconds"] = round(fitted.summary["train_seconds"] + extract_seconds, 1)
    fitted.summary["feature_seconds"] = round(extract_seconds, 1)
    return fitted


def split_groups(split_dir: Path) -> pd.Series:
    """Each clip's split group as one key (genre/group: groups are per genre), by clip_id."""
    clips = pd.read_csv(Path(split_dir) / "clips.csv", dtype={"group": str}).set_index("clip_id")
    return clips["genre"].astype(str) + "/" + clips["group"]


def train_model(features_dir: Path, split_dir: Path, out_dir: Path, *, model: ModelParams, params: TrainParams,
                frontend: Frontend, offsets: RandomOffsetClips | None = None) -> dict:
    """Run the train stage: model.keras, held_out.npz (calibration data), summary.json and live/ (training curves)."""
    out_dir = fresh_dir(out_dir)
    dataset = read_json(features_dir / "dataset.json")
    train_paths, val_paths = (split_paths(features_dir, dataset, s) for s in ("train", "val"))
    with tempfile.TemporaryDirectory(dir=out_dir) as work_dir:
        fitted = fit_classifier(model, params, frontend=frontend, input_shape=tuple(dataset["input_shape"]),
                                n_genres=len(dataset["labels"]), train_paths=train_paths, val_paths=val_paths,
                                group_of=split_groups(split_dir), live_dir=out_dir / "live", work_dir=Path(work_dir),
                                offsets=offsets)
    with atomic_path(out_dir / "model.keras") as tmp:
        fitted.model.save(tmp.with_suffix(".keras"))
        os.replace(tmp.with_suffix(".keras"), tmp)
    write_npz(out_dir / "held_out.npz", probabilities=fitted.held_out[0].astype(np.float32),
              labels=fitted.held_out[1].astype(np.int16))
    summary = {"kind": model.kind} | fitted.summary | {"parameters": int(fitted.model.count_params())}
    write_json(summary, out_dir / "summary.json")
    return summary
