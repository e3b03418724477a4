import keras
import numpy as np
import pytest

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


def test_a_genre_without_training_clips_is_named():
    x, y = separable(3)
    with pytest.raises(ValueError, match=r"genres \[2\] have no training clips"):
        fit_logistic_head(x[y < 2], y[y < 2], n_genres=3, c=1.0)
