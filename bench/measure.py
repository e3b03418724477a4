"""Measuring a command: wall time, CPU time and peak memory of its whole process tree; the machine.

Peak memory: at each look at the command's processes (a stage and its pool workers), the sum of
each live one's peak RSS so far as the kernel records it (VmHWM); the largest such sum. Exact for
one process, an upper bound for several (their peaks need not coincide, and pages a forked worker
shares with its parent count in both).
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import psutil
import soundfile
import yaml

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SECONDS = 0.05  # how often the process tree is looked at (each process's peak is kept by the kernel)
PIPELINE_FILES = ("dvc.yaml", "params.yaml", "stages", "src", ".dvc/config", ".dvc/.gitignore", ".dvc/plots")
PACKAGES = ("numpy", "scipy", "librosa", "soundfile", "tensorflow-cpu", "tensorflow", "keras", "ai-edge-litert", "dvc")


def clocks() -> tuple[float, float]:
    """(wall, CPU) seconds so far; CPU counts this process and those of its children that ended (a pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), own.ru_utime + own.ru_stime + _children_cpu()


def _children_cpu() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def cores() -> int:
    """The cores this process may use (taskset/cgroup affinity), as the stages count them."""
    return len(os.sched_getaffinity(0))


def copy_pipeline(source: Path, target: Path) -> Path:
    """The files that define the pipeline (PIPELINE_FILES), copied from `source` to `target`."""
    for name in PIPELINE_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(source / name, target / name)
    return target


def bench_env(pythonpath: list[Path]) -> dict:
    """Environment for a measured command: `pythonpath` (a tree's src/) before the checkout, this venv first on PATH,
    quiet TensorFlow and DVC."""
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                PYTHONPATH=os.pathsep.join(map(str, [*pythonpath, ROOT])), TF_CPP_MIN_LOG_LEVEL="2",
                DVC_NO_ANALYTICS="1", GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@localhost",
                GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost")


def pipeline_stages(tree: Path, *, library: Path) -> dict[str, str]:
    """Each stage's command in `tree`'s dvc.yaml, in order, with the library filled in (the demo stage left out)."""
    stages = yaml.safe_load((tree / "dvc.yaml").read_text())["stages"]
    return {name: stage["cmd"].replace("${library}", str(library)) for name, stage in stages.items() if name != "demo"}


def _peak_rss(pid: int) -> int:
    """VmHWM of a live process, in bytes."""
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def run_measured(args: list[str], *, env: dict, cwd: Path = ROOT) -> dict:
    """Run `args`; return seconds (wall), cpu_seconds, peak_rss_mb (see the module's docstring) and stdout.

    CPU time counts the command and every process it waited for (the benchmarks run one command at a
    time). Raises SystemExit with the command's output when it fails.
    """
    started, cpu = time.perf_counter(), _children_cpu()
    child = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    watched = psutil.Process(child.pid)

    def sample():
        nonlocal peak
        while child.poll() is None:
            try:
                members = [watched, *watched.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for member in members:
                try:
                    total += _peak_rss(member.pid)
                except (FileNotFoundError, StopIteration):  # ended (or became a zombie) since it was listed
                    continue
            peak = max(peak, total)
            time.sleep(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    seconds, cpu = time.perf_counter() - started, _children_cpu() - cpu
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({child.returncode}):\n{stdout[-2000:]}\n{stderr[-4000:]}")
    return {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
            "peak_rss_mb": round(peak / 2**20, 1), "stdout": stdout}


def machine() -> dict:
    """What the figures were measured on."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    versions["libsndfile"] = soundfile.__libsndfile_version__
    return {
        "cpu": model,
        "cores_used": cores(),
        "cores_total": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
    }


def load_average() -> float:
    """1-minute load average: above `cores()` the figures were measured on a shared, busy machine."""
    return round(os.getloadavg()[0], 2)
