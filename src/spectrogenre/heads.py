"""A logistic-regression genre head on fixed clip features, fitted by scikit-learn, run as Keras layers.

The MFCC baseline and frozen musicnn are a fixed feature model (log spectrogram ->
vector) plus this head, so that the whole classifier is one Keras model that the
evaluate and export stages and every inference path run like the seed CNN. Its
regularisation is chosen by grouped cross-validation on the clips it is then fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.preprocessing import StandardScaler

from spectrogenre.library.groups import assign_folds

# Inverse L2 strengths tried; on 200-d musicnn embeddings of a few hundred clips the best sit at 0.001-0.01.
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
CHOICE_FOLDS = 5


@dataclass(frozen=True)
class LogisticHead:
    """Standardise (mean, scale: (d,)) then softmax(x @ weights + bias); weights (d, genres), bias (genres,)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(n, d) -> (n, genres), as the Keras layers of `attach_head` compute it."""
        logits = (features - self.mean) / self.scale @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def fit_logistic_head(features: np.ndarray, labels: np.ndarray, *, n_genres: int, c: float) -> LogisticHead:
    """Multinomial logistic regression (L2, inverse strength `c`) on standardised features (n, d), labels (n,).

    Every genre in range(n_genres) must occur in `labels`.
    """
    missing = sorted(set(range(n_genres)) - set(np.unique(labels).tolist()))
    if missing:
        raise ValueError(f"genres {missing} have no training clips")
    scaler = StandardScaler().fit(features)
    regression = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(features), labels)
    weights, bias = regression.coef_.T, regression.intercept_
    if n_genres == 2:  # scikit-learn keeps one logit z for two classes: softmax([-z/2, z/2]) is sigmoid(z)
        weights, bias = np.hstack([-weights / 2, weights / 2]), np.array([-bias[0] / 2, bias[0] / 2])
    return LogisticHead(mean=scaler.mean_.astype(np.float32), scale=scaler.scale_.astype(np.float32),
                        weights=weights.astype(np.float32), bias=bias.astype(np.float32))


@dataclass(frozen=True)
class HeadChoice:
    """The chosen C, the out-of-fold probabilities at it (n, genres), and each C's out-of-fold log loss."""

    c: float
    folds: int
    held_out: np.ndarray
    log_loss: dict[float, float]


def choose_c(features: np.ndarray, labels: np.ndarray, groups: np.ndarray, *, n_genres: int, seed: int,
             grid: tuple[float, ...] = C_GRID) -> HeadChoice:
    """The C of `grid` whose heads, fitted on k - 1 folds, give the held-out fold the least log loss.

    Folds are whole groups (albums, artists or tracks: `groups` (n,)), each genre's spread over
    them; k is CHOICE_FOLDS, or fewer where a genre has fewer groups (at least 2). Ties go to
    the smaller C (the stronger regularisation).
    """
    frame = pd.DataFrame({"genre": labels})
    k = min(CHOICE_FOLDS, int(pd.Series(groups).groupby(labels).nunique().min()))
    if k < 2:
        raise ValueError("choosing C needs at least 2 groups of every genre")
    fold = assign_folds(frame, pd.Series(groups), folds=k, seed=seed).to_numpy()
    losses, held_out = {}, {}
    for c in grid:
        probs = np.zeros((len(labels), n_genres))
        for f in range(k):
            head = fit_logistic_head(features[fold != f], labels[fold != f], n_genres=n_genres, c=c)
            probs[fold == f] = head.probabilities(features[fold == f])
        losses[c], held_out[c] = float(log_loss(labels, probs, labels=range(n_genres))), probs
    best = min(grid, key=lambda c: losses[c])
    return HeadChoice(c=best, folds=k, held_out=held_out[best], log_loss={c: round(v, 4) for c, v in losses.items()})


def attach_head(features: keras.Model, head: LogisticHead, *, name: str) -> keras.Model:
    """features' input -> features -> standardise -> dense softmax: one classifier model."""
    x = keras.layers.Normalization(axis=-1, mean=head.mean, variance=np.square(head.scale),
                                   name="standardise_features")(features.output)
    dense = keras.layers.Dense(len(head.bias), activation="softmax", name="genre")
    outputs = dense(x)
    dense.set_weights([head.weights, head.bias])
    return keras.Model(features.input, outputs, name=name)


def head_summary(head: LogisticHead, splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """Accuracy and log loss of the head per split {name: (features, labels)}."""
    summary = {}
    for name, (x, y) in splits.items():
        probs = head.probabilities(x)
        summary[f"{name}_accuracy"] = round(float((probs.argmax(axis=1) == y).mean()), 4)
        summary[f"{name}_loss"] = round(float(log_loss(y, probs, labels=range(probs.shape[1]))), 4)
    return summary
