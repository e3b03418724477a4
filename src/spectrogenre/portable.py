"""The same floating-point results on any x86-64 machine, where it matters: every pipeline stage.

Three libraries choose their kernels by the CPU at run time, and the kernels differ in the last bits:
numpy's sin, exp, log10 and friends (AVX-512 against AVX2 and baseline, which agree), OpenBLAS's matrix
products (a kernel set and block sizes per CPU family) and TensorFlow's oneDNN (convolutions and matrix
products compiled for the CPU's widest vectors). Carried through the demo's synthesis, the spectrograms
and the training, they made the outputs' hashes depend on the machine: a fresh clone's `dvc repro` on
another CPU did not reproduce the committed dvc.lock. So each stage pins them before they load: numpy's
AVX-512 kernels off, OpenBLAS on its Haswell kernels where the CPU has AVX2 and FMA (x86-64 of the last
ten years), TensorFlow on its own Eigen kernels instead of oneDNN. A value already in the environment is
kept (a user's own choice).
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping
from pathlib import Path

_RERUN = "SPECTROGENRE_PORTABLE_NUMPY"


def x86_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags as Linux lists them (avx2, fma, avx512f ...); empty elsewhere."""
    try:
        with cpuinfo.open(encoding="ascii", errors="replace") as lines:
            return next((set(line.split(":", 1)[1].split()) for line in lines if line.startswith("flags")), set())
    except OSError:
        return set()


def pinned_environment(flags: set[str], machine: str) -> dict[str, str]:
    """The variables that pin OpenBLAS's and TensorFlow's kernels on this CPU (numpy's: worker_environment)."""
    pinned = {"TF_ENABLE_ONEDNN_OPTS": "0"}
    if machine.lower() in ("x86_64", "amd64") and {"avx2", "fma"} <= flags:
        pinned["OPENBLAS_CORETYPE"] = "Haswell"
    return pinned


def pin_kernels() -> None:
    """Pin every library's kernels for this process; call it before numpy or TensorFlow is imported. numpy's
    AVX-512 kernels can only be switched off at its start, so if any are on, the script re-executes itself once,
    in worker_environment's environment."""
    for name, value in pinned_environment(x86_flags(), platform.machine()).items():
        os.environ.setdefault(name, value)  # before avx512_features imports numpy, which loads OpenBLAS
    if os.environ.get(_RERUN):
        return
    pinned = worker_environment(os.environ)
    if pinned != dict(os.environ):  # numpy's AVX-512 kernels are on, and the user has not chosen them
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.argv], pinned | {_RERUN: "1"})


def worker_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for a process started to run stage work (a Dask worker): the pinned kernels, numpy's AVX-512
    ones off from its start, and a value already in `environ` kept."""
    env = {**pinned_environment(x86_flags(), platform.machine()), **environ}
    features = avx512_features()
    if features and "NPY_DISABLE_CPU_FEATURES" not in env:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(features)
    return env


def avx512_features() -> list[str]:
    """numpy's run-time dispatched CPU features of the AVX-512 family that are on in this process."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:  # numpy 1.x
        from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    return [name for name in __cpu_dispatch__ if __cpu_features__.get(name) and ("512" in name or name == "X86_V4")]
