"""spectrogenre: turn a music library sorted by genre into a 15-second genre recogniser."""

import os
import sys
from pathlib import Path

__version__ = "0.1.0"

# A pipeline stage's outputs are hashed into dvc.lock: its libraries' kernels are pinned before numpy or
# TensorFlow loads, so that every x86-64 machine computes the same bits (see spectrogenre.portable).
_STAGE = Path(sys.argv[0]).parent.name == "stages"
if _STAGE:
    from spectrogenre.portable import pin_kernels

    pin_kernels()
    # TensorFlow's CPU tensors come from malloc, and the large ones (a batch of the seed CNN's first-layer
    # activations: 300 MB) lie past glibc's mmap threshold, so each training step mapped them and faulted them
    # in afresh; TensorFlow's own pool keeps them. The same numbers; a quarter of the training's CPU time was
    # the kernel's (python -m bench.tf_allocator: 6.8 s of 27.2 s without the pool).
    os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")

# Quiet by default (see spectrogenre.quiet): TensorFlow's C++ INFO and WARNING lines are filtered from
# the first import, before any module imports TensorFlow; SPECTROGENRE_VERBOSE=1 keeps them.
if os.environ.get("SPECTROGENRE_VERBOSE", "") in ("", "0"):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow (2.19 on) logs "oneDNN custom operations are on" and absl's warning while it loads,
    # before TF_CPP_MIN_LOG_LEVEL takes effect: the stages that use it import it first, with those
    # lines hidden. predict and serve never import it.
    if _STAGE and Path(sys.argv[0]).stem in {
            "features", "train", "crossval", "evaluate", "export"}:
        from spectrogenre.quiet import import_tensorflow_quietly

        import_tensorflow_quietly()
