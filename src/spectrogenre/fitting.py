"""What every model kind's fitting shares: the fitted result, dvclive logging, best-epoch training,
and the head (logistic regression or MLP) on a frozen extractor's features."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from dvclive import Live
from dvclive.keras import DVCLiveCallback

from spectrogenre.heads import attach_head, choose_c, fit_head, head_summary
from spectrogenre.params import TrainParams


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


def live(live_dir: Path) -> Live:
    return Live(dir=str(live_dir), save_dvc_exp=False, dvcyaml=None)


def best_of_epochs(model: keras.Model, train_data, val_data, *, params: TrainParams, live_dir: Path,
                    work_dir: Path) -> tuple[keras.Model, dict]:
    """Fit for up to params.epochs (early stopping after the warm-up): the model of the first epoch with the best
    validation accuracy, and a summary whose best_epoch is the one a refit trains for (see best_epoch)."""
    best = Path(work_dir) / ".best.keras"
    callbacks = [
        keras.callbacks.ModelCheckpoint(best, monitor="val_accuracy", mode="max", save_best_only=True),
        keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=params.patience,
                                      start_from_epoch=params.start_from_epoch),
        DVCLiveCallback(live=live(live_dir)),
    ]
    history = model.fit(train_data, validation_data=val_data, epochs=params.epochs, callbacks=callbacks,
                        shuffle=False, verbose=1 if sys.stdout.isatty() else 2)  # 2: one line per epoch in logs
    model = keras.models.load_model(best)
    best.unlink()
    val_accuracy, val_loss = history.history["val_accuracy"], history.history["val_loss"]
    return model, {"best_epoch": best_epoch(val_accuracy, val_loss),
                   "best_val_accuracy": round(float(max(val_accuracy)), 4), "epochs_run": len(val_accuracy)}


def best_epoch(val_accuracy: list[float], val_loss: list[float]) -> int:
    """The epoch (from 1) a refit trains for: the best validation accuracy, ties to the lowest validation loss.

    On a small validation set accuracy plateaus early while the loss still falls: the first epoch
    of the plateau would leave the refitted model undertrained.
    """
    best = max(val_accuracy)
    return min(range(len(val_accuracy)), key=lambda i: (val_accuracy[i] != best, val_loss[i])) + 1


def fit_frozen_head(name: str, params: TrainParams, *, extractor: keras.Model, train: tuple[np.ndarray, np.ndarray],
                    val: tuple[np.ndarray, np.ndarray], groups: tuple[np.ndarray, np.ndarray], n_genres: int,
                    live_dir: Path, head: str = "logistic", fit_rows: Callable | None = None,
                    fitted_on: str = "train + val clips") -> Fitted:
    """A head (heads.HEADS) on the extractor's cached features of train + val (features (n, d), labels (n,)
    each), its regularisation chosen by grouped cross-validation over both (groups: each clip's split
    group), then refitted on both. fit_rows(features, labels, rows) -> the (features, labels) a head fits
    on, from the clips of a boolean mask (heads.choose_c); by default those clips."""
    started = time.perf_counter()
    features, labels = np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]])
    rows_of = None if fit_rows is None else (lambda rows: fit_rows(features, labels, rows))
    choice = choose_c(features, labels, np.concatenate(groups), n_genres=n_genres, seed=params.seed, head=head,
                      fit_rows=rows_of)
    fit_set = (features, labels) if rows_of is None else rows_of(np.ones(len(labels), bool))
    fitted_head = fit_head(head, *fit_set, n_genres=n_genres, strength=choice.c, seed=params.seed)
    fitted_loss = head_summary(fitted_head, {"train": fit_set})
    cv_accuracy = round(float((choice.held_out.argmax(axis=1) == labels).mean()), 4)
    with live(live_dir) as log:  # one step, so the training plots exist for every kind
        log.log_metric("train/accuracy", fitted_loss["train_accuracy"])
        log.log_metric("train/loss", fitted_loss["train_loss"])
        log.log_metric("eval/accuracy", cv_accuracy)
        log.log_metric("eval/loss", choice.log_loss[choice.c])
    summary = {"best_val_accuracy": cv_accuracy, "head": head,
               f"head_{'alpha' if head == 'mlp' else 'c'}": choice.c,
               "selected_by": f"grouped {choice.folds}-fold cross-validation on train + val clips",
               "cv_log_loss": {str(c): v for c, v in choice.log_loss.items()}, "fitted_on": fitted_on,
               "train_accuracy": fitted_loss["train_accuracy"], "train_loss": fitted_loss["train_loss"]}
    return Fitted(attach_head(extractor, fitted_head, name=name),
                  summary | {"train_seconds": round(time.perf_counter() - started, 1)}, fitted_head.probabilities,
                  held_out=(choice.held_out, labels))
