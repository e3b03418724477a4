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
