"""Figures 2 and 5: wall time and peak memory of every stage as the library grows; disk of every artifact.

For each factor, a throw-away git + DVC copy of the pipeline (measure.PIPELINE_FILES) runs the
stages' commands from dvc.yaml one by one on the library at that factor (the base library's albums
repeated under new names, as hard links), then `dvc commit` puts the outputs in the DVC cache.
Training runs a fixed number of epochs (no early stopping), so its work is proportional to the
library. Memory is the peak RSS of the stage's processes (see measure.py). Time is linear when a
straight line a + b * factor fits the times within LINEAR_TOLERANCE (wall time, and CPU time, which
other work on a shared machine disturbs less), for the whole pipeline (the sum of its stages) and
for every stage whose time grows with the library: its line at the largest size at least
GROWING times its line at the smallest. The other stages are fixed cost (process start-up, work
with a cap): their seconds do not depend on the library, and how far their few seconds stray
from a line measures start-up noise, so they are reported, not judged. Memory is flat when the
largest peak of every stage is within FLAT_TOLERANCE of its smallest (the growth over the last
doubling alone tells a bound, such as chunk_mb, that small libraries do not reach, from growth
with the library).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import yaml

from bench.library import multiplied
from bench.measure import bench_env, copy_pipeline, pipeline_stages, run_measured

LINEAR_TOLERANCE = 0.15
FLAT_TOLERANCE = 0.10
GROWING = 2.0


def make_project(project: Path, library: Path, *, tree: Path, epochs: int) -> None:
    """A git + DVC copy of the pipeline in `tree`, reading `library`."""
    copy_pipeline(tree, project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["library"] = str(library)
    params["train"] |= {"epochs": epochs, "start_from_epoch": epochs}
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    git = "git init -q && git add -A && git commit -qm bench"
    subprocess.run(git, shell=True, cwd=project, env=bench_env([project / "src"]), check=True)


def stage_outputs(project: Path, name: str) -> list[Path]:
    stage = yaml.safe_load((project / "dvc.yaml").read_text())["stages"][name]
    return [project / (out if isinstance(out, str) else next(iter(out)))
            for kind in ("outs", "metrics", "plots") for out in stage.get(kind, [])]


def apparent_bytes(path: Path) -> int:
    """Bytes of a file or of every file under a folder (what a copy would need)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def allocated_bytes(folders: list[Path]) -> int:
    """Disk blocks allocated under `folders`, each file counted once however many hard links it has."""
    seen = {}
    for folder in folders:
        for p in Path(folder).rglob("*"):
            if p.is_file() and not p.is_symlink():
                info = p.stat()
                seen[(info.st_dev, info.st_ino)] = info.st_blocks * 512
    return sum(seen.values())


def run_project(project: Path, library: Path, *, stop_before: str | None) -> dict:
    """The stages in order (up to `stop_before`), then `dvc commit`: seconds and peak memory per stage, and disk."""
    env = bench_env([project / "src"])
    report = {"stages": {}}
    for name, command in pipeline_stages(project, library=library).items():
        if name == stop_before:
            break
        measured = run_measured(["bash", "-c", command], cwd=project, env=env)
        report["stages"][name] = {key: measured[key] for key in ("seconds", "cpu_seconds", "peak_rss_mb")}
    ran = list(report["stages"])
    started = time.perf_counter()
    # `dvc commit` refuses stages whose deps were not produced; commit exactly the ones that ran.
    subprocess.run(["dvc", "commit", "-f", "-q", *ran], cwd=project, env=env, check=True)
    report["dvc_commit_seconds"] = round(time.perf_counter() - started, 2)
    library_bytes = apparent_bytes(library)
    artifacts = {name: sum(apparent_bytes(out) for out in stage_outputs(project, name)) for name in ran}
    cache = project / ".dvc" / "cache"
    report["disk"] = {
        "library_bytes": library_bytes,
        "artifact_bytes": artifacts,
        "artifacts_over_library": round(sum(artifacts.values()) / library_bytes, 3),
        "dvc_cache_bytes": apparent_bytes(cache),
        "dvc_cache_over_library": round(apparent_bytes(cache) / library_bytes, 3),
        # blocks of data/ and the cache together: a hard-linked cache costs nothing on top of data/
        "artifacts_and_cache_on_disk_over_library": round(
            allocated_bytes([project / "data", cache]) / library_bytes, 3),
    }
    return report


def summarise(factors: list[int], measured: dict[str, dict[str, list[float]]]) -> dict:
    """{"stages": per stage its lines, memory growth and whether it grows; "pipeline": the sum's lines}.

    `measured` holds per stage its seconds, cpu_seconds and peak_rss_mb at each factor.
    """
    stages = {}
    for name, times in measured.items():
        peaks = times["peak_rss_mb"]
        growth = max(peaks) / min(peaks) - 1
        wall_fit = linear_fit(factors, times["seconds"])
        line_at = [wall_fit["fixed"] + wall_fit["per_factor"] * factors[i] for i in (0, -1)]
        stages[name] = times | {"wall_fit": wall_fit, "cpu_fit": linear_fit(factors, times["cpu_seconds"]),
                                "grows": line_at[1] >= GROWING * line_at[0],
                                "peak_rss_growth": round(growth, 3), "flat": growth <= FLAT_TOLERANCE,
                                "peak_rss_growth_last_doubling": round(peaks[-1] / peaks[-2] - 1, 3)}
    totals = {key: [round(sum(times[key][i] for times in measured.values()), 3) for i in range(len(factors))]
              for key in ("seconds", "cpu_seconds")}
    pipeline = totals | {"wall_fit": linear_fit(factors, totals["seconds"]),
                         "cpu_fit": linear_fit(factors, totals["cpu_seconds"])}
    return {"stages": stages, "pipeline": pipeline}


def linear_fit(factors: list[int], seconds: list[float]) -> dict:
    slope, intercept = np.polyfit(factors, seconds, 1)
    fitted = intercept + slope * np.asarray(factors, dtype=float)
    deviation = float(np.max(np.abs(np.asarray(seconds) - fitted) / fitted))
    return {"per_factor": round(float(slope), 2), "fixed": round(float(intercept), 2),
            "max_deviation": round(deviation, 3), "linear": deviation <= LINEAR_TOLERANCE}


def measure(base: Path, work: Path, *, tree: Path, factors: tuple[int, ...], epochs: int,
            stop_before: str | None, rounds: int = 1) -> dict:
    """Each factor in turn, `rounds` times over; per stage, the line through its times and its memory growth.

    A stage's time at a size is its fastest round (start-up noise only ever adds time); its
    memory is its largest peak of any round.
    """
    runs: dict[int, list[dict]] = {factor: [] for factor in factors}
    for _ in range(rounds):
        for factor in factors:
            library = multiplied(base, work / f"library-x{factor}", factor)
            project = work / f"project-x{factor}"
            make_project(project, library, tree=tree, epochs=epochs)
            runs[factor].append(run_project(project, library, stop_before=stop_before))
            shutil.rmtree(project)
            shutil.rmtree(library)
            print(f"scale x{factor}: {runs[factor][-1]['stages']}", flush=True)
    best = {"seconds": min, "cpu_seconds": min, "peak_rss_mb": max}
    measured = {name: {key: [pick(run["stages"][name][key] for run in runs[f]) for f in factors]
                       for key, pick in best.items()}
                for name in runs[factors[0]][0]["stages"]}
    return {"factors": list(factors), "train_epochs": epochs, "rounds": rounds, **summarise(list(factors), measured),
            "dvc_commit_seconds": [min(run["dvc_commit_seconds"] for run in runs[f]) for f in factors],
            "disk": {f"x{f}": runs[f][-1]["disk"] for f in factors}}
