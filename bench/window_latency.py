"""Per-window latency of exported models with LiteRT: one 15 s window (batch 1), median and p90 of N runs.

    python -m bench.window_latency MODEL.tflite [MODEL.tflite ...] [--runs 30] [--threads 2]

Each model is timed in turn in this process, after two warm-up runs, on a random input of its own
input shape; the load average is printed beside, since the machine is shared.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import load_average
from spectrogenre.litert import TFLiteModel


def window_latency(path: Path, *, runs: int, threads: int) -> dict:
    model = TFLiteModel(path, threads=threads)
    shape = tuple(model._interpreter.get_input_details()[0]["shape"][1:])
    window = np.random.default_rng(0).normal(-40, 10, (1, *shape)).astype(np.float32)
    for _ in range(2):
        model.predict(window)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        model.predict(window)
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return {"model": str(path), "bytes": path.stat().st_size, "median_ms": round(1000 * statistics.median(seconds), 1),
            "p90_ms": round(1000 * seconds[int(0.9 * (len(seconds) - 1))], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(f"load average at start: {load_average():.2f}")
    for path in args.models:
        print(window_latency(path, runs=args.runs, threads=args.threads))


if __name__ == "__main__":
    main()
