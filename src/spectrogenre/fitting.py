"""What every model kind's fitting shares: the fitted result, dvclive logging, the number of epochs chosen by
grouped cross-validation, and the head (logistic regression or MLP) on a frozen extractor's features."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import keras
import numpy as np
from dvclive import Live

from spectrogenre.heads import (
    WEIGHED,
    attach_head,
    choice_folds,
    choose_c,
    fit_head,
    group_balance,
    head_summary,
)
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


def live(live_dir: Path | None):
    """The training curves' log in `live_dir`; None: a log that keeps nothing (a tf.distribute worker other than
    the first: DVCLive's end-of-run signal file is one per DVC repository, and two workers removing it at once
    made one of them fail, and its peers with it)."""
    return contextlib.nullcontext(_Unlogged()) if live_dir is None else Live(dir=str(live_dir), save_dvc_exp=False,
                                                                                 dvcyaml=None)


class _Unlogged:
    def log_metric(self, name: str, value: float) -> None:
        pass

    def next_step(self) -> None:
        pass


@dataclass
class EarlyStop:
    """Keras's EarlyStopping(mode="max") on one figure: epochs before start_from_epoch neither count nor stop;
    after it, training stops once `patience` epochs in a row have not beaten the best by more than min_delta."""

    patience: int
    start_from_epoch: int
    min_delta: float = 0.0
    best: float = -math.inf
    wait: int = 0
    epochs_seen: int = 0

    def update(self, value: float) -> bool:
        """After each epoch: whether to stop now."""
        epoch = self.epochs_seen  # from 0, as Keras counts
        self.epochs_seen += 1
        if epoch < self.start_from_epoch:
            return False
        self.wait += 1
        if value - self.min_delta > self.best:
            self.best, self.wait = value, 0
            return False
        return self.wait >= self.patience and epoch > 0


class FoldTraining(Protocol):
    """One fold of the cross-validation that chooses a number of epochs: a model training on the other folds."""

    def train_epoch(self) -> tuple[float, float]:
        """Train one more epoch: (train loss, train accuracy)."""

    def score(self) -> tuple[float, float]:
        """(log loss, accuracy) of the held-out fold now."""

    def keep(self) -> None:
        """Remember the model as it is now: the epoch chosen so far."""

    def held_out(self) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities (n, genres), labels (n,)) of the held-out fold by the kept model."""


class KerasFold:
    """A FoldTraining of a compiled Keras model: `train_data` one epoch of (x, y) batches; `predict_held_out(model)`
    -> (probabilities, labels) of the held-out clips."""

    def __init__(self, model: keras.Model, train_data, predict_held_out: Callable):
        self.model, self.train_data, self.predict_held_out = model, train_data, predict_held_out
        self.probabilities = self.labels = self.kept = None

    def train_epoch(self) -> tuple[float, float]:
        history = self.model.fit(self.train_data, epochs=1, shuffle=False, verbose=0).history
        return history["loss"][0], history["accuracy"][0]

    def score(self) -> tuple[float, float]:
        self.probabilities, self.labels = self.predict_held_out(self.model)
        return held_out_scores(self.probabilities, self.labels)

    def keep(self) -> None:
        self.kept = self.probabilities

    def held_out(self) -> tuple[np.ndarray, np.ndarray]:
        return self.kept, self.labels


def epoch_folds(labels: np.ndarray, groups: np.ndarray, *, params: TrainParams) -> list[np.ndarray]:
    """Each fold's held-out rows (a boolean mask) for choosing the number of epochs: params.epoch_folds folds of
    whole groups (`groups` (n,): albums, artists or tracks), each genre spread over them (heads.choice_folds)."""
    k, fold = choice_folds(labels, groups, seed=params.seed, folds=params.epoch_folds)
    return [fold == f for f in range(k)]


def held_out_scores(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(mean log loss, accuracy) of probabilities (n, genres) against labels (n,)."""
    picked = np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1.0)
    return float(-np.log(picked).mean()), float((probabilities.argmax(axis=1) == labels).mean())


def epochs_by_grouped_cv(folds: list[FoldTraining], *, params: TrainParams,
                         live_dir: Path | None) -> tuple[dict, tuple[np.ndarray, np.ndarray]]:
    """The number of epochs a refit on every clip trains for, chosen by grouped cross-validation.

    The folds' models train side by side, one epoch each at a time, up to params.epochs; after each
    epoch every fold scores its held-out clips. The epoch with the best mean held-out accuracy wins,
    ties to the lowest mean log loss (best_epoch), and training stops early as Keras's EarlyStopping
    would on that mean (params.patience epochs without a gain above params.min_delta, after
    params.start_from_epoch). Returns the summary and the held-out (probabilities, labels) at the
    chosen epoch, every fold's together (the calibration's data). The curves are logged in live_dir (None:
    not logged).
    """
    stop, accuracy, loss, best = EarlyStop(params.patience, params.start_from_epoch, params.min_delta), [], [], None
    with live(live_dir) as log:
        for epoch in range(1, params.epochs + 1):
            train_loss, train_accuracy = np.mean([fold.train_epoch() for fold in folds], axis=0)
            held_loss, held_accuracy = np.mean([fold.score() for fold in folds], axis=0)
            for name, value in (("train/loss", train_loss), ("train/accuracy", train_accuracy),
                                ("eval/loss", held_loss), ("eval/accuracy", held_accuracy)):
                log.log_metric(name, round(float(value), 6))
            log.next_step()
            print(f"epoch {epoch}: loss {train_loss:.4f}, accuracy {train_accuracy:.4f}, held-out loss "
                  f"{held_loss:.4f}, held-out accuracy {held_accuracy:.4f} (mean of {len(folds)} folds)", flush=True)
            if best is None or (held_accuracy, -held_loss) > best:  # best_epoch's order, as it goes
                best = (held_accuracy, -held_loss)
                for fold in folds:
                    fold.keep()
            accuracy.append(float(held_accuracy))
            loss.append(float(held_loss))
            if stop.update(float(held_accuracy)):
                break
    chosen = best_epoch(accuracy, loss)
    probabilities, labels = (np.concatenate(parts) for parts in zip(*(fold.held_out() for fold in folds)))
    return {"best_epoch": chosen, "best_val_accuracy": round(accuracy[chosen - 1], 4), "epochs_run": len(accuracy),
            "selected_by": f"grouped {len(folds)}-fold cross-validation on train + val clips"}, (probabilities, labels)


def best_epoch(val_accuracy: list[float], val_loss: list[float]) -> int:
    """The epoch (from 1) a refit trains for: the best held-out accuracy, ties to the lowest held-out loss.

    On a few hundred held-out clips accuracy plateaus early while the loss still falls: the first
    epoch of the plateau would leave the refitted model undertrained.
    """
    best = max(val_accuracy)
    return min(range(len(val_accuracy)), key=lambda i: (val_accuracy[i] != best, val_loss[i])) + 1


def fit_frozen_head(name: str, params: TrainParams, *, extractor: keras.Model, train: tuple[np.ndarray, np.ndarray],
                    val: tuple[np.ndarray, np.ndarray], groups: tuple[np.ndarray, np.ndarray], n_genres: int,
                    live_dir: Path, head: str = "logistic", balance: bool = False,
                    examples_of: Callable | None = None, fitted_on: str = "train + val clips") -> Fitted:
    """A head (heads.HEADS) on the extractor's cached features of train + val (features (n, d), labels (n,)
    each), its regularisation chosen by grouped cross-validation over both (groups: each clip's split
    group), then refitted on both; with `balance`, every group weighs the same within its genre
    (heads.group_balance). examples_of(features, labels, groups, rows) -> the (features, labels, groups) a head
    fits on, from the clips of a boolean mask (heads.choose_c); by default those clips."""
    started = time.perf_counter()
    features, labels = np.concatenate([train[0], val[0]]), np.concatenate([train[1], val[1]])
    all_groups = np.concatenate(groups)
    rows_of = None if examples_of is None else (lambda rows: examples_of(features, labels, all_groups, rows))
    choice = choose_c(features, labels, all_groups, n_genres=n_genres, seed=params.seed, head=head, balance=balance,
                      fit_rows=rows_of)
    fit_features, fit_labels, fit_groups = (features, labels, all_groups) if rows_of is None else rows_of(
        np.ones(len(labels), bool))
    fitted_head = fit_head(head, fit_features, fit_labels, n_genres=n_genres, strength=choice.c, seed=params.seed,
                           weights=group_balance(fit_labels, fit_groups) if balance else None)
    fitted_loss = head_summary(fitted_head, {"train": (fit_features, fit_labels)})
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
               "weighed": WEIGHED[balance],
               "train_accuracy": fitted_loss["train_accuracy"], "train_loss": fitted_loss["train_loss"]}
    return Fitted(attach_head(extractor, fitted_head, name=name),
                  summary | {"train_seconds": round(time.perf_counter() - started, 1)}, fitted_head.probabilities,
                  held_out=(choice.held_out, labels))
