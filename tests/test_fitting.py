import itertools

import numpy as np
import pytest

from spectrogenre.fitting import best_epoch


def test_a_refit_trains_for_the_best_accuracy_epoch_with_the_lowest_loss():
    # accuracy plateaus from epoch 2; the loss keeps falling until epoch 4
    assert best_epoch([0.5, 0.9, 0.9, 0.9, 0.8], [1.0, 0.5, 0.3, 0.2, 0.4]) == 4
    assert best_epoch([0.5, 0.9, 0.8], [1.0, 0.5, 0.1]) == 2  # a lower loss never beats a better accuracy


class ScriptedFold:
    """A FoldTraining whose held-out (loss, accuracy) after each epoch is given; its probabilities say the epoch."""

    def __init__(self, scores):
        self.scores, self.epoch, self.kept, self.trained = scores, 0, None, 0

    def train_epoch(self):
        self.trained += 1
        return 1.0, 0.5

    def score(self):
        self.epoch += 1
        return self.scores[self.epoch - 1]

    def keep(self):
        self.kept = self.epoch

    def held_out(self):
        return np.full((2, 3), float(self.kept)), np.array([0, 1])


def test_folds_train_side_by_side_until_their_mean_stops_improving_and_keep_the_chosen_epoch(tmp_path):
    from spectrogenre.fitting import epochs_by_grouped_cv
    from spectrogenre.params import TrainParams

    # mean accuracy per epoch: 0.5, 0.7, 0.7, 0.6, 0.65 (epochs 2 and 3 tie at 0.7; epoch 3's mean loss is lower)
    first = ScriptedFold([(1.0, 0.4), (0.8, 0.8), (0.6, 0.6), (0.9, 0.6), (0.9, 0.7), (0.1, 1.0)])
    second = ScriptedFold([(1.0, 0.6), (0.8, 0.6), (0.8, 0.8), (0.9, 0.6), (0.9, 0.6), (0.1, 1.0)])
    params = TrainParams(epochs=6, patience=2, start_from_epoch=0, epoch_folds=2)
    summary, (probabilities, labels) = epochs_by_grouped_cv([first, second], params=params, live_dir=tmp_path)
    # waits: epoch 3 (0.7, not better) 1, epoch 4: 2 -> stop after 4 epochs, before epoch 6's 1.0
    assert summary["epochs_run"] == 4 and first.trained == second.trained == 4
    assert summary["best_epoch"] == 3 and summary["best_val_accuracy"] == 0.7
    assert summary["selected_by"] == "grouped 2-fold cross-validation on train + val clips"
    assert probabilities[:, 0].tolist() == [3.0, 3.0, 3.0, 3.0] and labels.tolist() == [0, 1, 0, 1]
    logged = (tmp_path / "plots/metrics/eval/accuracy.tsv").read_text().splitlines()
    assert [round(float(line.split("\t")[-1]), 4) for line in logged[1:]] == [0.5, 0.7, 0.7, 0.6]


def test_a_worker_that_does_not_log_chooses_the_same_and_writes_nothing(tmp_path, monkeypatch):
    from spectrogenre.fitting import epochs_by_grouped_cv
    from spectrogenre.params import TrainParams

    # a tf.distribute worker other than the first logs nothing: DVCLive's signal file in the repository (here the
    # working folder) is written and removed by the one that logs only
    monkeypatch.chdir(tmp_path)
    folds = [ScriptedFold([(1.0, 0.4), (0.8, 0.8), (0.6, 0.6)]), ScriptedFold([(1.0, 0.6), (0.8, 0.6), (0.8, 0.8)])]
    summary, _ = epochs_by_grouped_cv(folds, params=TrainParams(epochs=3, patience=2, start_from_epoch=0), live_dir=None)
    assert (summary["best_epoch"], summary["epochs_run"]) == (3, 3)
    assert list(tmp_path.iterdir()) == []


def test_early_stopping_counts_the_epochs_a_hand_count_gives():
    from spectrogenre.fitting import EarlyStop

    # patience 2, counted from epoch index 1: 0.6 again (wait 1), 0.7 resets it; 0.65 (1), 0.6 (2): stop there
    stop = EarlyStop(patience=2, start_from_epoch=1)
    assert [stop.update(value) for value in [0.5, 0.6, 0.6, 0.7, 0.65, 0.6]] == [False] * 5 + [True]
    # before start_from_epoch nothing counts: three epochs without a better figure do not stop it
    stop = EarlyStop(patience=1, start_from_epoch=3)
    assert [stop.update(value) for value in [0.5, 0.4, 0.4, 0.3, 0.3]] == [False, False, False, False, True]
    # a gain of min_delta or less is no gain: 0.52 (wait 1), 0.56 beats 0.5 by more than 0.05 (reset), 0.58 and 0.6
    # beat 0.56 by less (waits 1, 2): stop
    stop = EarlyStop(patience=2, start_from_epoch=0, min_delta=0.05)
    assert [stop.update(value) for value in [0.5, 0.52, 0.56, 0.58, 0.6]] == [False] * 4 + [True]


def test_early_stopping_agrees_with_keras_callbacks():
    import keras

    from spectrogenre.fitting import EarlyStop

    jumps = [0.3, 0.5, 0.5, 0.4, 0.45, 0.5, 0.6, 0.6, 0.55, 0.52, 0.58, 0.61, 0.2, 0.2, 0.2]
    creeps = [0.5, 0.51, 0.52, 0.53, 0.54, 0.55, 0.56, 0.57, 0.58, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]  # min_delta matters
    settings = [(1, 0, 0), (2, 0, 0), (2, 3, 0), (3, 5, 0), (8, 8, 0), (2, 0, 0.015), (3, 2, 0.05), (5, 8, 0.005)]
    for values, (patience, start, delta) in itertools.product([jumps, creeps], settings):
        keras_stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=patience,
                                                   start_from_epoch=start, min_delta=delta)
        keras_stop.set_model(type("Model", (), {"stop_training": False})())
        keras_stop.on_train_begin()
        ours, ours_stopped, keras_stopped = EarlyStop(patience, start, delta), None, None
        for epoch, value in enumerate(values):
            halt = ours.update(value)
            keras_stop.on_epoch_end(epoch, {"val_accuracy": value})
            if halt and ours_stopped is None:
                ours_stopped = epoch
            if keras_stop.model.stop_training and keras_stopped is None:
                keras_stopped = epoch
        assert ours_stopped == keras_stopped, (patience, start, delta)


def test_keras_folds_on_whole_groups_hold_out_what_a_model_trained_alone_predicts(tmp_path):
    import keras
    import tensorflow as tf

    from spectrogenre.fitting import KerasFold, epoch_folds, epochs_by_grouped_cv
    from spectrogenre.params import TrainParams

    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 30)
    features = (rng.normal(size=(60, 3)) + labels[:, None] * 1.5).astype(np.float32)
    groups = np.array([f"album{i // 3}" for i in range(60)])
    params = TrainParams(epochs=4, batch_size=8, seed=3, epoch_folds=5)

    def trainer():
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    batches = lambda rows: tf.data.Dataset.from_tensor_slices((features[rows], labels[rows])).batch(params.batch_size)
    held = epoch_folds(labels, groups, params=params)
    assert len(held) == 5 and sum(mask.sum() for mask in held) == 60
    assert all(len({mask[i] for i in np.flatnonzero(groups == g)}) == 1 for mask in held for g in set(groups))
    folds = [KerasFold(trainer(), batches(~rows), lambda model, rows=rows: (model.predict(features[rows], verbose=0),
                                                                              labels[rows])) for rows in held]
    summary, (probabilities, held_labels) = epochs_by_grouped_cv(folds, params=params, live_dir=tmp_path / "live")
    assert 1 <= summary["best_epoch"] <= 4 and summary["selected_by"].startswith("grouped 5-fold")
    # fold 0's held-out rows are what its model, trained alone on the other folds for best_epoch epochs, predicts
    again = trainer()
    again.fit(batches(~held[0]), epochs=summary["best_epoch"], shuffle=False, verbose=0)
    n0 = held[0].sum()
    np.testing.assert_allclose(probabilities[:n0], again.predict(features[held[0]], verbose=0), atol=1e-6)
    assert held_labels.tolist() == [label for rows in held for label in labels[rows]]
    per_fold = [(p.argmax(1) == y).mean() for p, y in (fold.held_out() for fold in folds)]
    assert summary["best_val_accuracy"] == pytest.approx(np.mean(per_fold), abs=1e-4)
    assert (probabilities.argmax(axis=1) == held_labels).mean() > 0.7  # the genres are 1.5 standard deviations apart
