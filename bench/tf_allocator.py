"""The seed CNN's training steps with TensorFlow's CPU allocator as the stages set it (its BFC pool) and as it is
by default (malloc): whole processes, A against B, with farm-bench; the weights' checksum shows the numbers agree.

    python -m bench.tf_allocator            # prints farm-bench's table; about 3 minutes on 2 cores

Each run fits the seed CNN for 2 epochs on 192 random 279 x 271 spectrograms (batch 32), as the train stage's
steps do, after TensorFlow's import (about 5 s of each run's wall time).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def fit_once() -> None:
    import keras
    import numpy as np

    from spectrogenre.model import build_seed_cnn

    keras.utils.set_random_seed(0)
    spectrograms = np.random.default_rng(0).normal(-24, 22, (192, 279, 271)).astype(np.float32)
    model = build_seed_cnn((279, 271), 9, mean=-24.0, std=22.0)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    model.fit(spectrograms, np.arange(192) % 9, batch_size=32, epochs=2, verbose=0, shuffle=False)
    weights = np.concatenate([v.numpy().ravel() for v in model.weights]).astype(np.float64)
    print(f"TF_CPU_ALLOCATOR_USE_BFC={os.environ.get('TF_CPU_ALLOCATOR_USE_BFC')} weights' sum {float(weights.sum())!r}")


def main() -> None:
    if sys.argv[1:] == ["--fit"]:
        fit_once()
        return
    fit = f"{sys.executable} -m bench.tf_allocator --fit"
    for pool in ("true", "false"):  # the checksums, once each
        subprocess.run(["env", f"TF_CPU_ALLOCATOR_USE_BFC={pool}", *fit.split()], check=True)
    subprocess.run([shutil.which("farm-bench") or "farm-bench", "-n", "4", "--timeout", "600",
                    "--vs", f"env TF_CPU_ALLOCATOR_USE_BFC=false {fit}", "--",
                    "env", "TF_CPU_ALLOCATOR_USE_BFC=true", *fit.split()], check=True)


if __name__ == "__main__":
    main()
