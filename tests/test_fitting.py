import numpy as np
import pytest

from spectrogenre.fitting import best_epoch


def test_a_refit_trains_for_the_best_accuracy_epoch_with_the_lowest_loss():
    # accuracy plateaus from epoch 2; the loss keeps falling until epoch 4
    assert best_epoch([0.5, 0.9, 0.9, 0.9, 0.8], [1.0, 0.5, 0.3, 0.2, 0.4]) == 4
    assert best_epoch([0.5, 0.9, 0.8], [1.0, 0.5, 0.1]) == 2  # a lower loss never beats a better accuracy


def test_epochs_are_chosen_on_whole_groups_held_out_and_their_probabilities_kept(tmp_path):
    import keras
    import tensorflow as tf

    from spectrogenre.fitting import epochs_by_grouped_cv
    from spectrogenre.heads import choice_folds
    from spectrogenre.params import TrainParams

    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 30)
    features = (rng.normal(size=(60, 3)) + labels[:, None] * 1.5).astype(np.float32)
    groups = np.array([f"album{i // 3}" for i in range(60)])
    params = TrainParams(epochs=4, batch_size=8, seed=3)

    def trainer(rows):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
        return model

    batches = lambda part: tf.data.Dataset.from_tensor_slices(part).batch(params.batch_size)
    summary, held_out = epochs_by_grouped_cv(trainer, batches, features, labels, groups, params=params,
                                             live_dir=tmp_path / "live")
    assert 1 <= summary["best_epoch"] <= 4 and summary["selected_by"].startswith("grouped 5-fold")
    # fold 0's held-out rows are what its model, trained on the other folds for best_epoch epochs, predicts
    k, fold = choice_folds(labels, groups, seed=3)
    assert all(len(set(fold[groups == g])) == 1 for g in set(groups))
    keras.utils.set_random_seed(3)
    again = trainer(fold != 0)
    again.fit(batches((features[fold != 0], labels[fold != 0])), epochs=summary["best_epoch"], verbose=0)
    np.testing.assert_allclose(held_out[fold == 0], again.predict(features[fold == 0], verbose=0), atol=1e-6)
    accuracy = (held_out.argmax(axis=1) == labels).mean()
    assert summary["best_val_accuracy"] == pytest.approx(np.mean([(held_out[fold == f].argmax(1) == labels[fold == f])
                                                                   .mean() for f in range(k)]), abs=1e-4)
    assert accuracy > 0.7  # the genres are 1.5 standard deviations apart
