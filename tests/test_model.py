"""Running a model over chunk files: every clip once, in file and row order, more clips than one pass holds."""

import keras
import numpy as np

from spectrogenre.files import write_npz
from spectrogenre.model import CLIPS_PER_PASS, predict_chunks


def test_predict_chunks_returns_each_clips_output_label_and_id_in_order(tmp_path):
    paths, first = [], 0
    for number, size in enumerate((CLIPS_PER_PASS + 3, 4)):  # 15 clips: the first file alone needs two passes
        ids = np.arange(first, first + size)
        paths.append(tmp_path / f"test-{number:05d}.npz")
        write_npz(paths[-1], x=np.broadcast_to(ids[:, None, None], (size, 2, 3)).astype(np.float16),
                  y=(ids % 3).astype(np.int16), clip_id=ids)
        first += size
    inputs = keras.Input(shape=(2, 3))
    total = keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(keras.layers.Flatten()(inputs))
    outputs, labels, ids = predict_chunks(keras.Model(inputs, total), paths)
    # clip i's spectrogram is six values i: the summing model gives 6 i
    np.testing.assert_allclose(outputs[:, 0], 6 * np.arange(15))
    np.testing.assert_array_equal(labels, np.arange(15) % 3)
    np.testing.assert_array_equal(ids, np.arange(15))


def test_a_saved_classifier_is_the_same_bytes_in_every_run(tmp_path):
    import subprocess
    import sys

    # each run a new process: new object addresses, a new save time; the same model
    code = ("import sys, keras; from spectrogenre.model import build_seed_cnn, save_classifier; "
            "keras.utils.set_random_seed(0); "
            "save_classifier(build_seed_cnn((129, 126), 3, mean=0.0, std=1.0), sys.argv[1])")
    for name in ("a.keras", "b.keras"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True, capture_output=True)
    assert (tmp_path / "a.keras").read_bytes() == (tmp_path / "b.keras").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.keras", "b.keras"]  # nothing left beside them


def test_the_seed_cnn_computes_the_seeds_function_and_gradients_with_relu_after_pooling():
    import tensorflow as tf

    from spectrogenre.model import BN_MOMENTUM, SEED_CNN_BLOCKS, build_seed_cnn

    keras.utils.set_random_seed(0)
    shape, genres = (90, 88), 3  # the smallest input the three blocks leave one value of (the seed: 279 x 271)
    model = build_seed_cnn(shape, genres, mean=-40.0, std=12.0)
    # the seed's order: the ReLU inside each conv, before its max pool
    inputs = keras.Input(shape=shape)
    x = keras.layers.Normalization(axis=None, mean=-40.0, variance=144.0)(inputs)
    x = keras.layers.Reshape((*shape, 1))(x)
    for kernel, strides, pool in SEED_CNN_BLOCKS:
        x = keras.layers.Conv2D(32, kernel, strides=strides, activation="relu")(x)
        x = keras.layers.MaxPooling2D(pool_size=pool, strides=pool)(x)
        x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = keras.layers.Dense(64, activation="relu")(keras.layers.Flatten()(x))
    outputs = keras.layers.Dense(genres, activation="softmax")(keras.layers.Dropout(0.5)(x))
    seeds = keras.Model(inputs, outputs)
    seeds.set_weights(model.get_weights())  # the same weights in the same order: ReLU layers hold none

    spectrograms = np.random.default_rng(1).normal(-40.0, 12.0, (4, *shape)).astype(np.float32)
    labels = np.array([0, 1, 2, 0])
    loss = keras.losses.SparseCategoricalCrossentropy()
    probabilities, gradients = [], []
    for net in (model, seeds):
        with tf.GradientTape() as tape:
            probabilities.append(net(spectrograms, training=False))
            value = loss(labels, probabilities[-1])
        gradients.append([g.numpy() for g in tape.gradient(value, net.trainable_weights)])
    np.testing.assert_array_equal(probabilities[0].numpy(), probabilities[1].numpy())
    assert len(gradients[0]) == len(gradients[1]) == 16  # kernel and bias of 3 convs and 2 denses, 3 batch norms: gamma, beta
    for ours, theirs in zip(*gradients):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
