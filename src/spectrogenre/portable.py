"""The same floating-point results on any x86-64 machine, where it matters (the synthetic demo library).

numpy picks its sin, exp and friends at run time by CPU: with AVX-512 they differ from the AVX2
and baseline kernels in the last bits, which the demo's synthesis carries into different 16-bit
samples and so into different MP3 and FLAC bytes. Switched off, every x86-64 machine renders the
same library (measured here: AVX2 and baseline agree, AVX-512 does not), so a fresh clone's `dvc
repro` reproduces the committed lock.
"""

from __future__ import annotations

import os
import sys

_RERUN = "SPECTROGENRE_PORTABLE_NUMPY"


def avx512_features() -> list[str]:
    """numpy's run-time dispatched CPU features of the AVX-512 family that are on in this process."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name) and ("512" in name or name == "X86_V4")]


def rerun_without_avx512() -> None:
    """Re-execute this script with numpy's AVX-512 kernels off, once, if any are on (no-op otherwise)."""
    if os.environ.get(_RERUN):
        return
    features = avx512_features()
    if features:
        sys.stdout.flush()
        sys.stderr.flush()
        env = os.environ | {_RERUN: "1", "NPY_DISABLE_CPU_FEATURES": " ".join(features)}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
