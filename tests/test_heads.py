import keras
import numpy as np
import pandas as pd
import pytest

from spectrogenre.errors import LibraryError
from spectrogenre.heads import attach_head, fit_logistic_head


def separable(n_genres: int, n: int = 30, seed: int = 0):
    """Clusters around genre g at (10 g, -10 g) with unit noise: any linear model separates them."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_genres
    x = np.stack([10.0 * y, -10.0 * y], axis=1) + rng.standard_normal((n, 2))
    return x.astype(np.float32), y


@pytest.mark.parametrize("n_genres", [2, 3])
def test_head_separates_clusters_and_keras_layers_compute_the_same(n_genres):
    x, y = separable(n_genres)
    head = fit_logistic_head(x, y, n_genres=n_genres, c=1.0)
    probs = head.probabilities(x)
    assert probs.shape == (len(x), n_genres)
    assert (probs.argmax(axis=1) == y).all()
    inputs = keras.Input(shape=(2,))
    model = attach_head(keras.Model(inputs, inputs), head, name="head")
    np.testing.assert_allclose(model.predict_on_batch(x), probs, atol=1e-5)


def test_two_genre_head_matches_scikit_learns_probabilities():
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x, y = separable(2, seed=1)
    x[:, 1] += np.random.default_rng(2).standard_normal(len(x)) * 20  # overlap, so probabilities are not 0/1
    scaled = StandardScaler().fit_transform(x)
    expected = LogisticRegression(C=1.0, max_iter=5000).fit(scaled, y).predict_proba(scaled)
    np.testing.assert_allclose(fit_logistic_head(x, y, n_genres=2, c=1.0).probabilities(x), expected, atol=1e-5)


def test_group_balance_weighs_every_group_of_a_genre_the_same_and_keeps_each_genres_total():
    from spectrogenre.heads import group_balance

    labels = np.array([0, 0, 0, 1, 1])
    groups = np.array(["a", "a", "b", "c", "d"])
    # genre 0: 3 clips in 2 groups, so each group weighs 1.5: a's two clips 0.75 each, b's one 1.5
    np.testing.assert_allclose(group_balance(labels, groups), [0.75, 0.75, 1.5, 1.0, 1.0])


def test_a_balanced_head_is_the_head_of_groups_replicated_to_the_same_size():
    from spectrogenre.heads import group_balance

    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 2)).astype(np.float32)
    y = np.array([0, 0, 0, 1, 1, 1])
    groups = np.array(["a", "a", "b", "c", "d", "d"])  # weights 0.75 0.75 1.5 | 1.5 0.75 0.75
    balanced = fit_logistic_head(x, y, n_genres=2, c=1.0, weights=group_balance(y, groups))
    # the same as b's and c's clips twice over: weights 1 1 2 2 1 1, 4/3 of the balance (scikit-learn's C multiplies
    # every weight, so C 0.75 there is C 1 here), in the standardisation too
    replicated = fit_logistic_head(x[[0, 1, 2, 2, 3, 3, 4, 5]], y[[0, 1, 2, 2, 3, 3, 4, 5]], n_genres=2, c=0.75)
    np.testing.assert_allclose(balanced.mean, replicated.mean, rtol=1e-6)
    np.testing.assert_allclose(balanced.scale, replicated.scale, rtol=1e-6)
    probe = rng.standard_normal((5, 2)).astype(np.float32)
    np.testing.assert_allclose(balanced.probabilities(probe), replicated.probabilities(probe), atol=1e-4)
    unbalanced = fit_logistic_head(x, y, n_genres=2, c=1.0)
    assert np.abs(unbalanced.probabilities(probe) - replicated.probabilities(probe)).max() > 1e-2


def test_a_prolific_group_does_not_outvote_the_other_groups_of_its_genre():
    """Genre 0 is one artist of 10 clips that sounds like genre 1 (x = +1) and three artists of one clip at -1;
    genre 1 is four artists of one clip at +1. At +1, clip counts say genre 0 (10 against 4); weighing each
    artist the same within its genre (genre 0's 13 clips over 4 artists: 3.25 each) says genre 1 (4 against 3.25)."""
    from spectrogenre.heads import group_balance

    x = np.array([[1.0]] * 10 + [[-1.0]] * 3 + [[1.0]] * 4, dtype=np.float32)
    y = np.array([0] * 13 + [1] * 4)
    groups = np.array(["A"] * 10 + ["B", "C", "D"] + ["E", "F", "G", "H"])
    at_plus_one = np.array([[1.0]], dtype=np.float32)
    by_clips = fit_logistic_head(x, y, n_genres=2, c=100.0).probabilities(at_plus_one)[0]
    by_groups = fit_logistic_head(x, y, n_genres=2, c=100.0, weights=group_balance(y, groups)).probabilities(
        at_plus_one)[0]
    assert by_clips.argmax() == 0 and by_clips[1] == pytest.approx(4 / 14, abs=0.02)
    assert by_groups.argmax() == 1 and by_groups[1] == pytest.approx(4 / 7.25, abs=0.02)


def test_a_genre_without_training_clips_is_named():
    x, y = separable(3)
    with pytest.raises(ValueError, match=r"genres \[2\] have no training clips"):
        fit_logistic_head(x[y < 2], y[y < 2], n_genres=3, c=1.0)


def test_c_is_chosen_by_grouped_cross_validation_with_whole_groups_held_out():
    from spectrogenre.heads import choose_c
    from spectrogenre.library.groups import assign_folds

    # each group is one "album": its clips share an album-specific offset the head must not memorise
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 60)
    groups = np.repeat([f"album{i}" for i in range(12)], 10)
    album_offset = np.repeat(rng.normal(0, 1.0, (12, 20)), 10, axis=0)
    features = album_offset + labels[:, None] * 0.4 + rng.normal(0, 0.5, (120, 20))
    choice = choose_c(features, labels, groups, n_genres=2, seed=0, grid=(0.001, 0.01, 0.1, 1.0, 10.0))
    assert choice.folds == 5 and choice.c in (0.001, 0.01, 0.1, 1.0, 10.0)
    assert choice.log_loss[choice.c] == min(choice.log_loss.values())
    assert choice.held_out.shape == (120, 2) and np.allclose(choice.held_out.sum(axis=1), 1)
    # whole groups were held out: refitting without a group reproduces its out-of-fold probabilities
    fold = assign_folds(pd.DataFrame({"genre": labels}), pd.Series(groups), folds=5, seed=0).to_numpy()
    assert all(len(set(fold[groups == g])) == 1 for g in set(groups))
    head = fit_logistic_head(features[fold != 0], labels[fold != 0], n_genres=2, c=choice.c)
    np.testing.assert_allclose(choice.held_out[fold == 0], head.probabilities(features[fold == 0]), rtol=1e-6)


def test_heads_can_fit_on_other_rows_than_they_are_scored_on():
    from spectrogenre.heads import choose_c

    features, labels = separable(2)
    groups = np.arange(len(labels)) % 10
    seen = []

    def halves(rows):  # fit each fold's head on its first half of rows only
        chosen = np.flatnonzero(rows)[: rows.sum() // 2]
        seen.append(len(chosen))
        return features[chosen], labels[chosen], groups[chosen]

    choice = choose_c(features, labels, groups, n_genres=2, seed=0, grid=(1.0,), fit_rows=halves)
    assert len(seen) == 5 and all(n < 0.5 * len(labels) for n in seen)
    assert choice.held_out.shape == (len(labels), 2)  # every row is still scored as it is


def test_fewer_groups_than_folds_use_fewer_folds_and_one_group_is_refused():
    from spectrogenre.heads import choose_c

    features = np.random.default_rng(1).normal(size=(12, 3))
    labels = np.repeat([0, 1], 6)
    three = np.repeat(["a", "b", "c", "d", "e", "f"], 2)  # 3 groups per genre
    assert choose_c(features, labels, three, n_genres=2, seed=0, grid=(1.0,)).folds == 3
    with pytest.raises(LibraryError, match="at least 2 groups .* of every genre; genre number 0 of its training set "
                                          "has 1"):
        choose_c(features, labels, np.repeat(["a", "b"], 6), n_genres=2, seed=0, grid=(1.0,))


def xor(n: int = 80, seed: int = 0):
    """Two genres on the diagonals of a square (XOR): no linear head separates them, one hidden layer does."""
    rng = np.random.default_rng(seed)
    corners = rng.integers(0, 2, size=(n, 2))
    y = corners[:, 0] ^ corners[:, 1]
    return (corners * 4.0 + rng.normal(0, 0.3, (n, 2))).astype(np.float32), y


def test_mlp_head_learns_what_a_linear_head_cannot_and_keras_layers_compute_the_same():
    from spectrogenre.heads import fit_mlp_head

    x, y = xor()
    assert (fit_logistic_head(x, y, n_genres=2, c=1.0).probabilities(x).argmax(axis=1) == y).mean() < 0.8
    head = fit_mlp_head(x, y, n_genres=2, alpha=0.1, seed=0)
    probs = head.probabilities(x)
    assert (probs.argmax(axis=1) == y).all()
    inputs = keras.Input(shape=(2,))
    model = attach_head(keras.Model(inputs, inputs), head, name="head")
    assert [layer.name for layer in model.layers][-2:] == ["hidden", "genre"]
    np.testing.assert_allclose(model.predict_on_batch(x), probs, atol=1e-5)


def test_mlp_head_matches_scikit_learns_probabilities_for_three_genres():
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from spectrogenre.heads import MLP_ITERATIONS, MLP_UNITS, fit_mlp_head

    x, y = separable(3, n=60, seed=3)
    x += np.random.default_rng(4).normal(0, 8, x.shape).astype(np.float32)  # overlap: probabilities not 0/1
    scaled = StandardScaler().fit_transform(x)
    expected = MLPClassifier(hidden_layer_sizes=(MLP_UNITS,), alpha=1.0, solver="lbfgs", max_iter=MLP_ITERATIONS,
                             random_state=0).fit(scaled, y).predict_proba(scaled)
    np.testing.assert_allclose(fit_mlp_head(x, y, n_genres=3, alpha=1.0).probabilities(x), expected, atol=1e-4)


def test_mlp_alpha_is_chosen_from_its_own_grid():
    from spectrogenre.heads import ALPHA_GRID, choose_c

    x, y = xor(seed=1)
    groups = np.array([f"g{i % 10}" for i in range(len(y))])
    choice = choose_c(x, y, groups, n_genres=2, seed=0, head="mlp")
    assert set(choice.log_loss) == set(ALPHA_GRID) and choice.c in ALPHA_GRID
    assert (choice.held_out.argmax(axis=1) == y).mean() > 0.9  # out of fold, XOR is still learnt
