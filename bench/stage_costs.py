"""Wall time, peak RSS and disk of every pipeline stage on the demo library at a given size.

Runs the real stages (their `cmd` from dvc.yaml) in a throw-away copy of the project,
each under GNU time, then `dvc commit`s the outputs to measure the DVC cache as well.

usage: python bench/stage_costs.py --size 1 [--size 4] [--out bench/out/stage_costs.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def du(path: Path) -> int:
    """Bytes on disk of a file or folder (hard links counted once, as du does)."""
    out = subprocess.run(["du", "-sb", "--apparent-size", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def disk_usage(path: Path) -> int:
    """Blocks actually allocated (hard-linked cache files counted once)."""
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) * 1024


def timed(cmd: str, cwd: Path, env: dict) -> dict:
    started = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", "bash", "-c", cmd], cwd=cwd, env=env,
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
    peak_kb = int(result.stderr.strip().splitlines()[-1])
    return {"seconds": round(wall, 2), "peak_rss_mb": round(peak_kb / 1024, 1)}


def measure(size: float, work: Path) -> dict:
    project = work / f"size-{size:g}"
    project.mkdir(parents=True)
    for name in ("dvc.yaml", "params.yaml", "stages", "src", ".dvc"):
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("cache", "tmp", "__pycache__", "*.egg-info")
            shutil.copytree(source, project / name, ignore=ignore)
        else:
            shutil.copy(source, project / name)
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["demo"]["size"] = size
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               DVC_NO_ANALYTICS="1", TF_CPP_MIN_LOG_LEVEL="2", GIT_AUTHOR_NAME="bench",
               GIT_AUTHOR_EMAIL="bench@localhost", GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost")
    subprocess.run("git init -q && git add -A && git commit -qm bench", shell=True, cwd=project, env=env, check=True)
    stages = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    report = {"size": size, "stages": {}}
    for name, stage in stages.items():
        cmd = stage["cmd"].replace("${library}", params["library"])
        report["stages"][name] = timed(cmd, project, env)
        print(f"size {size:g} {name}: {report['stages'][name]}", flush=True)
    library = project / params["library"]
    report["library_bytes"] = du(library)
    report["artifact_bytes"] = {
        name: sum(du(project / out if isinstance(out, str) else project / next(iter(out)))
                  for out in stage.get("outs", []) + stage.get("metrics", []) + stage.get("plots", []))
        for name, stage in stages.items() if name != "demo"
    }
    started = time.perf_counter()
    subprocess.run(["dvc", "commit", "-f", "-q"], cwd=project, env=env, check=True)
    report["dvc_commit_seconds"] = round(time.perf_counter() - started, 1)
    data_and_cache = disk_usage(project / "data") - disk_usage(library) + disk_usage(project / ".dvc" / "cache")
    report["artifacts_and_cache_bytes_on_disk"] = data_and_cache
    report["artifacts_and_cache_over_library"] = round(data_and_cache / report["library_bytes"], 2)
    summary = json.loads((project / "data/trim/summary.json").read_text())
    report["library_hours"] = round(sum(g["seconds"] for g in summary.values()) / 3600, 2)
    report["metrics"] = json.loads((project / "data/evaluate/metrics.json").read_text())
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=float, action="append", help="demo.size values (default: 1)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/stage_costs.json")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="spectrogenre-bench-"))
    try:
        results = {
            "machine": {"cpus": len(os.sched_getaffinity(0)), "platform": platform.platform(),
                        "python": platform.python_version()},
            "date": time.strftime("%Y-%m-%d"),
            "runs": [measure(size, work) for size in (args.size or [1.0])],
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
