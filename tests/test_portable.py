"""Every pipeline stage pins its libraries' CPU-dependent kernels before they load (spectrogenre.portable), so a
fresh clone's `dvc repro` on another x86-64 CPU reproduces the committed dvc.lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from spectrogenre.portable import pinned_environment, x86_flags


def test_x86_flags_are_read_from_the_flags_line(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 fma avx512f\n"
                       "processor\t: 1\nflags\t\t: fpu\n")
    assert x86_flags(cpuinfo) == {"fpu", "sse2", "avx2", "fma", "avx512f"}  # the first CPU's
    assert x86_flags(tmp_path / "missing") == set()  # not Linux


def test_openblas_is_pinned_to_haswell_kernels_only_where_the_cpu_runs_them():
    assert pinned_environment({"avx2", "fma", "avx512f"}, "x86_64") == {"TF_ENABLE_ONEDNN_OPTS": "0",
                                                                          "OPENBLAS_CORETYPE": "Haswell"}
    assert pinned_environment({"avx2"}, "x86_64") == {"TF_ENABLE_ONEDNN_OPTS": "0"}  # no FMA: OpenBLAS's own pick
    assert pinned_environment({"avx2", "fma"}, "aarch64") == {"TF_ENABLE_ONEDNN_OPTS": "0"}


def probe(tmp_path: Path, **env: str) -> dict:
    """What a script in a `stages` folder sees once it has imported spectrogenre and numpy."""
    stages = tmp_path / "stages"
    stages.mkdir()
    (stages / "probe.py").write_text(
        "import json, os\nimport spectrogenre\nfrom spectrogenre.portable import avx512_features\n"
        "print(json.dumps({name: os.environ.get(name) for name in ('TF_ENABLE_ONEDNN_OPTS', 'OPENBLAS_CORETYPE')}"
        " | {'avx512': avx512_features()}))\n")
    clean = {k: v for k, v in os.environ.items() if k not in ("TF_ENABLE_ONEDNN_OPTS", "OPENBLAS_CORETYPE")}
    done = subprocess.run([sys.executable, str(stages / "probe.py")], env=clean | env, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)


def test_a_stage_runs_with_its_kernels_pinned(tmp_path):
    seen = probe(tmp_path)
    haswell = {"avx2", "fma"} <= x86_flags() and os.uname().machine == "x86_64"
    assert seen == {"TF_ENABLE_ONEDNN_OPTS": "0", "OPENBLAS_CORETYPE": "Haswell" if haswell else None,
                    "avx512": []}


def test_a_users_own_setting_is_kept(tmp_path):
    assert probe(tmp_path, TF_ENABLE_ONEDNN_OPTS="1")["TF_ENABLE_ONEDNN_OPTS"] == "1"


def test_a_worker_gets_the_pinned_kernels_and_keeps_a_users_own_choice(monkeypatch):
    from spectrogenre import portable

    monkeypatch.setattr(portable, "x86_flags", lambda: {"avx2", "fma", "avx512f"})
    monkeypatch.setattr(portable.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(portable, "avx512_features", lambda: ["AVX512F", "AVX512_SKX"])
    assert portable.worker_environment({"PATH": "/bin", "TF_ENABLE_ONEDNN_OPTS": "1"}) == {
        "PATH": "/bin", "TF_ENABLE_ONEDNN_OPTS": "1", "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512_SKX"}
    # a worker started from a process that already runs without them: nothing more to switch off
    monkeypatch.setattr(portable, "avx512_features", list)
    monkeypatch.setattr(portable, "x86_flags", lambda: {"sse4_2"})
    assert portable.worker_environment({"PATH": "/bin"}) == {"PATH": "/bin", "TF_ENABLE_ONEDNN_OPTS": "0"}


def test_a_stage_on_an_avx512_cpu_reruns_itself_once_without_those_kernels(monkeypatch):
    from spectrogenre import portable

    monkeypatch.setattr(portable, "x86_flags", lambda: {"avx2", "fma", "avx512f"})
    monkeypatch.setattr(portable.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(portable, "avx512_features", lambda: ["AVX512F", "AVX512_SKX"])
    monkeypatch.setattr(portable.sys, "argv", ["stages/train.py", "--out", "data/train"])
    reruns = []
    monkeypatch.setattr(portable.os, "execve", lambda path, argv, env: reruns.append((path, argv, env)))
    monkeypatch.setattr(portable.os, "environ", {"PATH": "/bin", "TF_ENABLE_ONEDNN_OPTS": "1"})
    portable.pin_kernels()
    assert reruns == [(sys.executable, [sys.executable, "stages/train.py", "--out", "data/train"],
                       {"PATH": "/bin", "TF_ENABLE_ONEDNN_OPTS": "1", "OPENBLAS_CORETYPE": "Haswell",
                        "NPY_DISABLE_CPU_FEATURES": "AVX512F AVX512_SKX", "SPECTROGENRE_PORTABLE_NUMPY": "1"})]
    # the rerun itself, and a process whose user chose numpy's kernels, go on as they are
    for environ in ({"PATH": "/bin", "SPECTROGENRE_PORTABLE_NUMPY": "1"}, {"NPY_DISABLE_CPU_FEATURES": "AVX512F"}):
        monkeypatch.setattr(portable.os, "environ", environ)
        portable.pin_kernels()
        assert environ["OPENBLAS_CORETYPE"] == "Haswell"
    assert len(reruns) == 1
