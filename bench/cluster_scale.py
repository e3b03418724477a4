"""The data stages (concat, trim, features) on a Dask cluster of 1 and of 2 local workers, side by side.

    python -m bench.cluster_scale [--library data/demo_library] [--rounds 2]

Each round runs the three stages through a LocalCluster of 1 worker, then of 2 (one thread and
1 GB each, loopback), on the same scan of the library, and checks the two runs' outputs are
byte-identical; seconds are the best round. On this 2-core machine 2 workers is the most that can
help, and the stage process itself (FLAC writing, the in-order assembly) shares the cores.
Writes bench/cluster_scale.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import ROOT, load_average


def run_stages(library: Path, scan: Path, out: Path, params) -> dict[str, float]:
    from spectrogenre.clip import clip_library
    from spectrogenre.concat import concat_library
    from spectrogenre.features import compute_features
    from spectrogenre.split import split_dataset
    from spectrogenre.trim import trim_library

    seconds = {}
    started = time.perf_counter()
    concat_library(library, scan, out / "concat", sample_rate=params.frontend.sample_rate, jobs=2)
    seconds["concat"] = time.perf_counter() - started
    started = time.perf_counter()
    trim_library(out / "concat", out / "trim", params.trim, jobs=2)
    seconds["trim"] = time.perf_counter() - started
    clip_library(out / "concat", out / "trim", out / "clips", sample_rate=params.frontend.sample_rate,
                 clip_seconds=params.frontend.clip_seconds, hop_seconds=params.clip.hop_seconds)
    split_dataset(out / "clips", out / "split", ratios=params.split.ratios, seed=params.split.seed)
    started = time.perf_counter()
    compute_features(out / "concat", out / "clips", out / "split", out / "features", frontend=params.frontend,
                     chunk_mb=params.features.chunk_mb, jobs=2)
    seconds["features"] = time.perf_counter() - started
    return seconds


def main() -> None:
    from distributed import LocalCluster

    from spectrogenre.config import load_params
    from spectrogenre.library.scan import scan, write_scan

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, default=ROOT / "data/demo_library")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    params = load_params(ROOT / "params.yaml")
    results = {"library": str(args.library), "load_average_at_start": load_average(), "rounds": args.rounds}
    best: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as work:
        write_scan(*scan(args.library, params, model_requirement=None), scan_dir := Path(work) / "scan")
        for _ in range(args.rounds):
            outputs = {}
            for workers in (1, 2):
                out = Path(work) / f"w{workers}"
                shutil.rmtree(out, ignore_errors=True)
                with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit="1GB",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
                    os.environ["SPECTROGENRE_SCHEDULER"] = cluster.scheduler_address
                    try:
                        seconds = run_stages(args.library, scan_dir, out, params)
                    finally:
                        del os.environ["SPECTROGENRE_SCHEDULER"]
                seconds["all"] = sum(seconds.values())
                best[workers] = {k: min(v, best.get(workers, {}).get(k, v)) for k, v in seconds.items()}
                outputs[workers] = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
                                    if p.is_file() and p.parts[len(out.parts)] in ("concat", "trim", "features")}
            results["byte_identical"] = outputs[1] == outputs[2]
    results["seconds"] = {str(w): {k: round(v, 2) for k, v in s.items()} for w, s in best.items()}
    results["speed_up_2_workers"] = {k: round(best[1][k] / best[2][k], 2) for k in best[1]}
    (ROOT / "bench/cluster_scale.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
