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

from spectrogenre.heads import attach_head, choice_folds, choose_c, fit_head, head_summary
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


class _ScoreEachEpoch(keras.callbacks.Callback):
    """The held-out rows' probabilities after every epoch."""

    def __init__(self, features: np.ndarray, batch_size: int):
        super().__init__()
        self.features, self.batch_size, self.probabilities = features, batch_size, []

    def on_epoch_end(self, epoch, logs=None):
        self.probabilities.append(self.model.predict(self.features, batch_size=self.batch_size, verbose=0))


def epochs_by_grouped_cv(make_trainer: Callable[[np.ndarray], keras.Model], batches: Callable, features: np.ndarray,
                         labels: np.ndarray, groups: np.ndarray, *, params: TrainParams,
                         live_dir: Path) -> tuple[dict, np.ndarray]:
    """The number of epochs a refit on every clip trains for, chosen by grouped cross-validation over the clips.

    Each fold's model (make_trainer(rows): compiled, from the clips of a boolean mask) trains params.epochs
    epochs on the other folds (batches((features, labels)) -> a dataset) and scores its held-out fold after
    every epoch; the epoch with the best mean held-out accuracy wins, ties to the lowest mean log loss
    (best_epoch). Folds are whole groups (heads.choice_folds). Returns the summary and the out-of-fold
    probabilities at that epoch (the calibration's data).
    """
    k, fold = choice_folds(labels, groups, seed=params.seed)
    per_fold = []
    for f in range(k):
        keras.utils.set_random_seed(params.seed)
        trainer = make_trainer(fold != f)
        scores = _ScoreEachEpoch(features[fold == f], params.batch_size)
        trainer.fit(batches((features[fold != f], labels[fold != f])), epochs=params.epochs, callbacks=[scores],
                    shuffle=False, verbose=0)
        per_fold.append(scores.probabilities)
    accuracy = np.zeros(params.epochs)
    loss = np.zeros(params.epochs)
    for f, probabilities in enumerate(per_fold):
        truth = labels[fold == f]
        for epoch, probs in enumerate(probabilities):
            accuracy[epoch] += (probs.argmax(axis=1) == truth).mean() / k
            loss[epoch] -= np.log(np.clip(probs[np.arange(len(truth)), truth], 1e-7, 1.0)).mean() / k
    with live(live_dir) as log:
        for epoch in range(params.epochs):
            log.log_metric("eval/accuracy", float(accuracy[epoch]))
            log.log_metric("eval/loss", float(loss[epoch]))
            log.next_step()
    chosen = best_epoch(accuracy.tolist(), loss.tolist())
    held_out = np.zeros_like(per_fold[0][0], shape=(len(labels), per_fold[0][0].shape[1]))
    for f, probabilities in enumerate(per_fold):
        held_out[fold == f] = probabilities[chosen - 1]
    return {"best_epoch": chosen, "best_val_accuracy": round(float(accuracy[chosen - 1]), 4),
            "selected_by": f"grouped {k}-fold cross-validation on train + val clips, {params.epochs} epochs each"}, \
        held_out


def best_epoch(val_accuracy: list[float], val_loss: list[float]) -> int:
    """The epoch (from 1) a refit trains for: the best validation accuracy, ties to the lowest validation loss.

    On a small validation set accuracy plateaus early while the loss still falls: the first epoch
    of the plateau would leave the refitted model undertrained.
    """
    best = max(val_accuracy)
    return min(range(len(val_accuracy)), key=lambda i: (val_accuracy[i] != best, val_loss[i])) + 1


def fit_frozen_head(name: str, params: TrainParams, *, extractor: keras.Model, train: tuple[np.ndarray, np.ndarray],
                    val: tuple[np.ndarray, np.ndarray], groups: tuple[np.ndarray, np.ndarray], n_genres: int,
                    live_dir: Path, head: str = "logistic", examples_of: Callable | None = None,
                    fitted_on: str = "train + val clips") -> Fitted:
    """A head (heads.HEADS) on the extractor's cached features of train + val (features (n, d), labels (n,)
    each), its regularisation chosen by grouped cross-validation over both (groups: each clip's split
    group), then refitted on both. examples_of(features, labels, rows) -> the (features, labels) a head fits
    on, from the clips of a boolean mask (heads.choose_c); by default those clips."""
    started = time.perf_counter()
    features, labels = np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]])
    rows_of = None if examples_of is None else (lambda rows: examples_of(features, labels, rows))
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
