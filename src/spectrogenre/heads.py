"""Genre heads on fixed clip features, fitted by scikit-learn, run as Keras layers: logistic regression,
or a small MLP (one hidden ReLU layer).

The MFCC baseline and frozen musicnn are a fixed feature model (log spectrogram ->
vector) plus a head, so that the whole classifier is one Keras model that the
evaluate and export stages and every inference path run like the seed CNN. A head's
regularisation is chosen by grouped cross-validation on the clips it is then fitted on.

A head may weigh its examples so that within a genre every group (album or artist) counts the same
(`group_balance`): otherwise an artist with 17 tracks of a genre teaches that genre 17 times as much as
one with a single track, and the head learns the prolific artists' sound rather than the genre's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from spectrogenre.errors import LibraryError
from spectrogenre.library.groups import assign_folds

# Inverse L2 strengths tried; on 200-d musicnn embeddings of a few hundred clips the best sit at 0.001-0.01.
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
CHOICE_FOLDS = 5
# The MLP head: hidden units, and its L2 penalties tried (scikit-learn's alpha; larger is stronger).
MLP_UNITS = 64
MLP_ITERATIONS = 300  # L-BFGS steps: weakly regularised fits stop here rather than converge (slow, and overfit)
ALPHA_GRID = (30.0, 10.0, 1.0, 0.1)  # strongest first: ties go to it


@dataclass(frozen=True)
class LogisticHead:
    """Standardise (mean, scale: (d,)) then softmax(x @ weights + bias); weights (d, genres), bias (genres,)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """(n, d) -> (n, genres), as the Keras layers of `attach_head` compute it."""
        return _softmax((features - self.mean) / self.scale @ self.weights + self.bias)


# What a fit's summary says of its examples' weights, with balance off and on.
WEIGHED = {False: "each clip the same", True: "each split group the same within its genre"}


def group_balance(labels: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Each example's weight (n,) such that within a genre every group weighs the same, and each genre keeps the
    total of its examples (the weights' mean is 1): the genres' shares are those of the examples."""
    frame = pd.DataFrame({"genre": labels, "group": groups})
    in_group = frame.groupby(["genre", "group"])["genre"].transform("size")
    groups_in_genre = frame.groupby("genre")["group"].transform("nunique")
    in_genre = frame.groupby("genre")["genre"].transform("size")
    return (in_genre / groups_in_genre / in_group).to_numpy(np.float64)


def fit_logistic_head(features: np.ndarray, labels: np.ndarray, *, n_genres: int, c: float,
                      weights: np.ndarray | None = None) -> LogisticHead:
    """Multinomial logistic regression (L2, inverse strength `c`) on standardised features (n, d), labels (n,),
    each example weighing `weights` (n,) (default: 1) in the standardisation and the fit alike.

    Every genre in range(n_genres) must occur in `labels`.
    """
    _check_genres(labels, n_genres)
    scaler = _standardisation(features, weights)
    regression = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(features), labels,
                                                            sample_weight=weights)
    weights, bias = regression.coef_.T, regression.intercept_
    if n_genres == 2:
        weights, bias = _two_logits(weights, bias)
    return LogisticHead(mean=scaler.mean_.astype(np.float32), scale=scaler.scale_.astype(np.float32),
                        weights=weights.astype(np.float32), bias=bias.astype(np.float32))


@dataclass(frozen=True)
class MlpHead:
    """Standardise, then a ReLU layer (hidden_weights (d, units), hidden_bias (units,)), then softmax(h @ weights
    + bias)."""

    mean: np.ndarray
    scale: np.ndarray
    hidden_weights: np.ndarray
    hidden_bias: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        hidden = np.maximum((features - self.mean) / self.scale @ self.hidden_weights + self.hidden_bias, 0.0)
        return _softmax(hidden @ self.weights + self.bias)


def _standardisation(features: np.ndarray, weights: np.ndarray | None) -> StandardScaler:
    with warnings.catch_warnings():
        # Weighed, the variance of a feature that hardly varies can round to a hair below 0 (numpy warns at its
        # square root); StandardScaler then treats the feature as constant (scale 1), as it should.
        warnings.simplefilter("ignore", RuntimeWarning)
        return StandardScaler().fit(features, sample_weight=weights)


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def _two_logits(weights: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn keeps one logit z for two classes: softmax([-z/2, z/2]) is sigmoid(z)."""
    return np.hstack([-weights / 2, weights / 2]), np.array([-bias[0] / 2, bias[0] / 2])


def _check_genres(labels: np.ndarray, n_genres: int) -> None:
    missing = sorted(set(range(n_genres)) - set(np.unique(labels).tolist()))
    if missing:
        raise ValueError(f"genres {missing} have no training clips")


def fit_mlp_head(features: np.ndarray, labels: np.ndarray, *, n_genres: int, alpha: float, seed: int = 0,
                 weights: np.ndarray | None = None) -> MlpHead:
    """An MLP of MLP_UNITS ReLU units (L2 penalty `alpha`, L-BFGS: deterministic for a seed) on standardised
    features (n, d), labels (n,), each example weighing `weights` (n,) (default: 1)."""
    _check_genres(labels, n_genres)
    scaler = _standardisation(features, weights)
    mlp = MLPClassifier(hidden_layer_sizes=(MLP_UNITS,), alpha=alpha, solver="lbfgs", max_iter=MLP_ITERATIONS,
                        random_state=seed)
    with warnings.catch_warnings():  # stopping at MLP_ITERATIONS is by design (it regularises too)
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(scaler.transform(features), labels, sample_weight=weights)
    (hidden_weights, weights), (hidden_bias, bias) = mlp.coefs_, mlp.intercepts_
    if n_genres == 2:
        weights, bias = _two_logits(weights, bias)
    as32 = lambda a: np.asarray(a, dtype=np.float32)
    return MlpHead(mean=as32(scaler.mean_), scale=as32(scaler.scale_), hidden_weights=as32(hidden_weights),
                   hidden_bias=as32(hidden_bias), weights=as32(weights), bias=as32(bias))


def fit_head(head: str, features: np.ndarray, labels: np.ndarray, *, n_genres: int, strength: float,
             seed: int = 0, weights: np.ndarray | None = None) -> LogisticHead | MlpHead:
    """The head named `head` (HEADS) at regularisation `strength` (logistic: C; mlp: alpha)."""
    if head == "mlp":
        return fit_mlp_head(features, labels, n_genres=n_genres, alpha=strength, seed=seed, weights=weights)
    return fit_logistic_head(features, labels, n_genres=n_genres, c=strength, weights=weights)


@dataclass(frozen=True)
class HeadChoice:
    """The chosen regularisation (`c`: logistic C or MLP alpha), the out-of-fold probabilities at it (n, genres),
    and each value's out-of-fold log loss."""

    c: float
    folds: int
    held_out: np.ndarray
    log_loss: dict[float, float]


def choice_folds(labels: np.ndarray, groups: np.ndarray, *, seed: int,
                 folds: int = CHOICE_FOLDS) -> tuple[int, np.ndarray]:
    """(k, each row's fold) for choosing by grouped cross-validation: whole groups (`groups` (n,)), each genre's
    spread over the folds; k is `folds`, or fewer where a genre has fewer groups (at least 2)."""
    per_genre = pd.Series(groups).groupby(labels).nunique()
    k = min(folds, int(per_genre.min()))
    if k < 2:  # the scan's cross-validation check says so first, by genre name, where a crossval fold is short
        raise LibraryError(f"choosing the model by grouped cross-validation needs at least 2 groups (albums, artists "
                           f"or tracks) of every genre; genre number {int(per_genre.idxmin())} of its training "
                           f"set has {int(per_genre.min())}")
    return k, assign_folds(pd.DataFrame({"genre": labels}), pd.Series(groups), folds=k, seed=seed).to_numpy()


def choose_c(features: np.ndarray, labels: np.ndarray, groups: np.ndarray, *, n_genres: int, seed: int,
             grid: tuple[float, ...] | None = None, head: str = "logistic", balance: bool = False,
             fit_rows: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None) -> HeadChoice:
    """The regularisation of `grid` (default: C_GRID, or ALPHA_GRID for the MLP) whose heads, fitted on k - 1
    folds, give the held-out fold the least log loss.

    Folds are whole groups (albums, artists or tracks: `groups` (n,)), each genre's spread over
    them; k is CHOICE_FOLDS, or fewer where a genre has fewer groups (at least 2). Ties go to
    the first value of the grid (the strongest regularisation of either default grid).
    balance: the heads weigh their examples by group_balance, and the held-out loss weighs each group the same.
    fit_rows: the training set (features, labels, groups) a head is fitted on, from a mask of the rows it may use
    (e.g. one row per track); by default those rows themselves. Held-out rows are always scored as they are.
    """
    grid = grid or (ALPHA_GRID if head == "mlp" else C_GRID)
    fit_rows = fit_rows or (lambda rows: (features[rows], labels[rows], groups[rows]))
    k, fold = choice_folds(labels, groups, seed=seed)
    held_weights = group_balance(labels, groups) if balance else None
    losses, held_out = {}, {}
    for c in grid:
        probs = np.zeros((len(labels), n_genres))
        for f in range(k):
            fit_features, fit_labels, fit_groups = fit_rows(fold != f)
            fitted = fit_head(head, fit_features, fit_labels, n_genres=n_genres, strength=c, seed=seed,
                              weights=group_balance(fit_labels, fit_groups) if balance else None)
            probs[fold == f] = fitted.probabilities(features[fold == f])
        probs /= probs.sum(axis=1, keepdims=True)  # float32 heads' rows sum to 1 only within 1e-7
        losses[c] = float(log_loss(labels, probs, labels=range(n_genres), sample_weight=held_weights))
        held_out[c] = probs
    best = min(grid, key=lambda c: losses[c])
    return HeadChoice(c=best, folds=k, held_out=held_out[best], log_loss={c: round(v, 4) for c, v in losses.items()})


def attach_head(features: keras.Model, head: LogisticHead | MlpHead, *, name: str) -> keras.Model:
    """features' input -> features -> standardise -> [dense ReLU ->] dense softmax: one classifier model."""
    x = keras.layers.Normalization(axis=-1, mean=head.mean, variance=np.square(head.scale),
                                   name="standardise_features")(features.output)
    if isinstance(head, MlpHead):
        hidden = keras.layers.Dense(len(head.hidden_bias), activation="relu", name="hidden")
        x = hidden(x)
        hidden.set_weights([head.hidden_weights, head.hidden_bias])
    dense = keras.layers.Dense(len(head.bias), activation="softmax", name="genre")
    outputs = dense(x)
    dense.set_weights([head.weights, head.bias])
    return keras.Model(features.input, outputs, name=name)


def head_summary(head: LogisticHead | MlpHead, splits: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """Accuracy and log loss of the head per split {name: (features, labels)}."""
    summary = {}
    for name, (x, y) in splits.items():
        probs = head.probabilities(x)
        summary[f"{name}_accuracy"] = round(float((probs.argmax(axis=1) == y).mean()), 4)
        summary[f"{name}_loss"] = round(float(log_loss(y, probs, labels=range(probs.shape[1]))), 4)
    return summary
