"""Stage `train`: the seed CNN, streamed from the feature chunks, best-by-validation kept."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import keras
import numpy as np
from dvclive import Live
from dvclive.keras import DVCLiveCallback

from spectrogenre.chunks import count_rows, standardisation
from spectrogenre.files import atomic_path, fresh_dir, read_json, write_json
from spectrogenre.model import build_seed_cnn
from spectrogenre.params import TrainParams
from spectrogenre.streaming import chunk_dataset


def split_paths(features_dir: Path, dataset: dict, split: str) -> list[Path]:
    return [features_dir / name for name in dataset["chunks"][split]]


def train_model(features_dir: Path, out_dir: Path, params: TrainParams) -> dict:
    """Train, keep the epoch with the best validation accuracy; writes model.keras, summary.json, live/."""
    out_dir = fresh_dir(out_dir)
    dataset = read_json(features_dir / "dataset.json")
    input_shape = tuple(dataset["input_shape"])
    train_paths, val_paths = (split_paths(features_dir, dataset, s) for s in ("train", "val"))
    keras.utils.set_random_seed(params.seed)
    mean, std = standardisation(train_paths)
    model = build_seed_cnn(input_shape, len(dataset["labels"]), mean=mean, std=std)
    model.compile(optimizer=keras.optimizers.Adam(params.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(params.seed)
    train_data = chunk_dataset(train_paths, input_shape, batch_size=params.batch_size, rng=rng,
                               shuffle_chunks=params.shuffle_chunks)
    val_data = chunk_dataset(val_paths, input_shape, batch_size=params.batch_size, rng=None, shuffle_chunks=1)
    best = out_dir / ".best.keras"
    callbacks = [
        keras.callbacks.ModelCheckpoint(best, monitor="val_accuracy", mode="max", save_best_only=True),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=params.patience,
                                      start_from_epoch=params.start_from_epoch),
        DVCLiveCallback(live=Live(dir=str(out_dir / "live"), save_dvc_exp=False, dvcyaml=None)),
    ]
    started = time.perf_counter()
    history = model.fit(train_data, validation_data=val_data, epochs=params.epochs, callbacks=callbacks,
                        shuffle=False, verbose=1 if sys.stdout.isatty() else 2)  # 2: one line per epoch in logs
    seconds = time.perf_counter() - started
    with atomic_path(out_dir / "model.keras") as tmp:
        os.replace(best, tmp)
    val_accuracy = history.history["val_accuracy"]
    train_clips = count_rows(train_paths)
    summary = {
        "best_epoch": int(np.argmax(val_accuracy)) + 1,
        "best_val_accuracy": round(float(max(val_accuracy)), 4),
        "epochs_run": len(val_accuracy),
        "train_seconds": round(seconds, 1),
        "train_samples_per_second": round(train_clips * len(val_accuracy) / seconds, 1),
        "parameters": int(model.count_params()),
        "input_mean_db": round(mean, 3),
        "input_std_db": round(std, 3),
    }
    write_json(summary, out_dir / "summary.json")
    return summary
