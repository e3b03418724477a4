"""Keras models: the seed CNN, loading a trained classifier, and running a model over chunk files."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from spectrogenre.chunks import iter_batches

BN_MOMENTUM = 0.9
SEED_CNN_BLOCKS = ((3, 1, 6), (3, 1, 3), (2, 2, 2))  # each conv block's kernel, stride and max pool
CLIPS_PER_PASS = 8  # clips per forward pass: musicnn holds tens of MB of activations per 3 s patch


def build_seed_cnn(input_shape: tuple[int, int], n_genres: int, *, mean: float, std: float) -> keras.Model:
    """The seed's CNN over one log spectrogram (bins, frames) in dB -> genre probabilities (n_genres,).

    conv 32 3x3 / maxpool 6 stride 6 / batch norm; conv 32 3x3 / maxpool 3 stride 3 /
    batch norm; conv 32 2x2 stride 2 / maxpool 2 stride 2 / batch norm; flatten;
    dense 64; dropout 0.5; dense n_genres softmax. Each conv's ReLU comes after its max pool: max and
    ReLU commute exactly, so the function and its gradients are the seed's, but the ReLU and its
    gradient touch a 36th of the first conv's output (300 MB a batch), which lowers the train
    stage's peak memory by a sixth (tests/test_model.py checks the outputs against the seed's
    order). The input is standardised with the
    training set's mean and std inside the model, so every inference path feeds raw dB.
    Batch norm's running statistics use momentum 0.9, not Keras's 0.99: with a few
    steps per epoch (small libraries) 0.99 lags the weights so far that validation
    accuracy collapses while training accuracy reaches 1 (seen on the demo library).
    """
    inputs = keras.Input(shape=input_shape, name="log_spectrogram")
    x = keras.layers.Normalization(axis=None, mean=mean, variance=std**2, name="standardise")(inputs)
    x = keras.layers.Reshape((*input_shape, 1))(x)
    for kernel, strides, pool in SEED_CNN_BLOCKS:
        x = keras.layers.Conv2D(32, kernel, strides=strides)(x)
        x = keras.layers.MaxPooling2D(pool_size=pool, strides=pool)(x)
        x = keras.layers.ReLU()(x)
        x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(n_genres, activation="softmax", name="genre")(x)
    return keras.Model(inputs, outputs, name="seed_cnn")


def load_classifier(path) -> keras.Model:
    """A trained classifier of any model kind, from its .keras file."""
    import spectrogenre.mfcc  # noqa: F401  registers the MFCC baseline's layer with Keras
    import spectrogenre.musicnn.classifier  # noqa: F401  and musicnn's patch statistics

    return keras.models.load_model(path)


# A fixed date for every .keras archive: Keras stamps the save time into it (and object addresses into
# its config), so two saves of one model would differ and a fresh clone's `dvc repro` would never
# reproduce the lock's hash.
ARCHIVE_DATE = (1980, 1, 1, 0, 0, 0)


def save_classifier(model: keras.Model, path: Path) -> None:
    """model as a .keras archive at `path` (atomically), the same bytes for the same model on every save."""
    import json
    import zipfile

    from spectrogenre.files import atomic_path

    with atomic_path(path) as tmp:
        saved = tmp.with_name(tmp.name + ".keras")
        try:
            model.save(saved)
            with zipfile.ZipFile(saved) as source, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
                for name in sorted(source.namelist()):
                    data = source.read(name)
                    if name == "metadata.json":
                        data = json.dumps(json.loads(data) | {"date_saved": "not recorded"}).encode()
                    elif name == "config.json":
                        data = json.dumps(_numbered_shared_objects(json.loads(data))).encode()
                    target.writestr(zipfile.ZipInfo(name, date_time=ARCHIVE_DATE), data,
                                    compress_type=zipfile.ZIP_DEFLATED)
        finally:
            saved.unlink(missing_ok=True)


def predict_chunks(model: keras.Model, paths: list[Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(model outputs (n, ...), true labels (n,), clip ids (n,)) of every clip in the chunk files, in order."""
    parts = [(model.predict_on_batch(x), y, ids) for x, y, ids in iter_batches(paths, batch_size=CLIPS_PER_PASS)]
    return tuple(np.concatenate(arrays) for arrays in zip(*parts))


def _numbered_shared_objects(config):
    """Keras names objects shared between layers by their Python id() (a memory address, new every run):
    number them 1, 2, ... in order of appearance instead, the same number for the same object."""
    numbers: dict[int, int] = {}

    def walk(node):
        if isinstance(node, dict):
            return {key: (numbers.setdefault(value, len(numbers) + 1) if key == "shared_object_id" else walk(value))
                    for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(config)
