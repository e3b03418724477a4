"""The train stage's data path alone: peak RSS and time of standardisation and one epoch of chunk_dataset.

What the train stage reads, without the model (whose memory does not grow with the library): the
training chunks' standardisation, one shuffled pass of chunk_dataset over them and one in-order
pass over the validation chunks. Run on random chunks of the demo library's train and val sizes at
factors 1 and 8 (scale figure 2), for this tree and a `before` tree, each in its own process.
    python bench/run.py --only train_data_path [--before REV]   # into results.json / results.md
    python -m bench.stream_memory [--before TREE]               # prints it; `pass FOLDER SOURCE`: one process
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from bench.measure import ROOT, bench_env, run_measured
from bench.training import BATCH_SIZE, CHUNK_MB, SHUFFLE_CHUNKS, SHAPE, _module, before_chunk_dataset, write_chunks

TRAIN_CLIPS_X1, VAL_CLIPS_X1 = 446, 96  # the demo library at factor 1: 70 % and 15 % of its 638 clips


def one_pass(folder: Path, source: str) -> dict:
    """standardisation, then one epoch of the train and the val input; seconds of each."""
    if source == "current":
        from spectrogenre.chunks import standardisation
        from spectrogenre.streaming import chunk_dataset
    else:
        standardisation = _module(Path(source) / "src/spectrogenre/chunks.py", "before_chunks").standardisation
        chunk_dataset = before_chunk_dataset(Path(source))
    train, val = sorted((folder / "train").glob("*.npz")), sorted((folder / "val").glob("*.npz"))
    started = time.perf_counter()
    standardisation(train)
    seconds = {"standardisation": time.perf_counter() - started}
    for name, paths, rng in (("train", train, np.random.default_rng(0)), ("val", val, None)):
        started = time.perf_counter()
        for _ in chunk_dataset(paths, SHAPE, batch_size=BATCH_SIZE, rng=rng, shuffle_chunks=SHUFFLE_CHUNKS):
            pass
        seconds[name] = time.perf_counter() - started
    return {key: round(value, 2) for key, value in seconds.items()}


def measure(work: Path, *, tree: Path, factors: tuple[int, ...], before: Path | None) -> dict:
    """Peak RSS and seconds of one pass per source and factor; each source's RSS growth from the first factor to the last."""
    sources = {"current": "current"} | ({"before": str(before)} if before else {})
    env = bench_env([tree / "src"])
    results = {}
    for factor in factors:
        folder = work / f"x{factor}"
        write_chunks(folder / "train", clips=TRAIN_CLIPS_X1 * factor, chunk_mb=CHUNK_MB)
        write_chunks(folder / "val", clips=VAL_CLIPS_X1 * factor, chunk_mb=CHUNK_MB)
        for name, source in sources.items():
            measured = run_measured([sys.executable, "-m", "bench.stream_memory", "pass", str(folder), source], env=env)
            results[f"{name} x{factor}"] = {"peak_rss_mb": measured["peak_rss_mb"],
                                            "seconds": json.loads(measured["stdout"].splitlines()[-1])}
    first, last = factors[0], factors[-1]
    growth = {name: round(results[f"{name} x{last}"]["peak_rss_mb"] / results[f"{name} x{first}"]["peak_rss_mb"] - 1, 3)
              for name in sources}
    return {"factors": list(factors), "train_clips_x1": TRAIN_CLIPS_X1, "val_clips_x1": VAL_CLIPS_X1,
            "chunk_mb": CHUNK_MB, "shuffle_chunks": SHUFFLE_CHUNKS,
            "runs": results, "peak_rss_growth": growth}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("measure", "pass"), default="measure")
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("source", nargs="?", default="current")
    parser.add_argument("--before", type=Path, help="a source tree (as bench/run.py --before extracts it)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench/out/work/stream-memory")
    args = parser.parse_args()
    if args.command == "pass":
        print(json.dumps(one_pass(args.folder, args.source)))
        return
    results = measure(args.work, tree=ROOT, factors=(1, 8), before=args.before)
    print(f"peak RSS growth x1 -> x8: {results['peak_rss_growth']}")
    for name, result in results["runs"].items():
        print(f"{name}: peak RSS {result['peak_rss_mb']} MB, seconds {result['seconds']}")


if __name__ == "__main__":
    main()
