"""The LiteRT runner: the same answers on one thread and on every core, any batch size."""

import keras
import numpy as np

from spectrogenre.export import to_tflite
from spectrogenre.litert import TFLiteModel


def test_tflite_model_gives_the_same_answers_on_one_and_two_threads(tmp_path):
    inputs = keras.Input(shape=(2, 3))
    total = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(keras.layers.Flatten()(inputs))
    path = tmp_path / "sum.tflite"
    path.write_bytes(to_tflite(keras.Model(inputs, total), quantise=False))
    x = np.broadcast_to(np.arange(5, dtype=np.float32)[:, None, None], (5, 2, 3))  # clip i: six values i
    for threads in (1, 2, None):
        model = TFLiteModel(path, threads=threads)
        np.testing.assert_allclose(model.predict(x)[:, 0], 6 * np.arange(5))
        np.testing.assert_allclose(model.predict(x[:2])[:, 0], [0, 6])  # any number of windows
        assert model.predict(x[:0]).shape == (0, 1)  # none (a song of silence has no window to classify)


def test_a_warmed_up_pool_has_run_each_interpreter_once_and_answers_as_before(tmp_path, monkeypatch):
    from spectrogenre.litert import ModelPool

    inputs = keras.Input(shape=(2, 3))
    total = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(keras.layers.Flatten()(inputs))
    path = tmp_path / "sum.tflite"
    path.write_bytes(to_tflite(keras.Model(inputs, total), quantise=False))
    calls: list[tuple[int, tuple]] = []
    answer = TFLiteModel.predict
    monkeypatch.setattr(TFLiteModel, "predict", lambda self, x: calls.append((id(self), x.shape)) or answer(self, x))
    pool = ModelPool(path, copies=3)
    pool.warm_up()
    assert len({model for model, _ in calls}) == 3 and [shape for _, shape in calls] == [(1, 2, 3)] * 3
    np.testing.assert_allclose(pool.predict(np.full((1, 2, 3), 2.0, np.float32))[:, 0], [12.0])
    pool.warm_up()  # every copy was given back: a second warm-up does not wait for one
    assert len(calls) == 7
