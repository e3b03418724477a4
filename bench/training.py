"""Figure 3: training throughput, the streamed chunk input (streaming.chunk_dataset) against an in-memory fit.

Each input trains its own seed CNN on the same clips with the same batch size. Speed: all inputs
in one process, one epoch each in turn (each round starting with the next input) for `rounds` rounds after a
warm-up epoch (graph tracing),
so a shared machine's changing load hits them alike; wall time and the process's CPU time of
each epoch. Memory: the in-memory and the default streamed input each alone in a process for one
epoch, peak RSS of that process; the streamed one also on twice the clips (bounded: the same peak).
The clips are random spectrograms in the chunk format the features stage writes: the cost of a
step does not depend on the values. With a `before` tree, its chunk_dataset
is one more input, on the default chunks.
`python -m bench.training speed|memory INPUTS_JSON ROUNDS` runs one process and prints JSON.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

from bench.measure import ROOT, bench_env, run_measured
from spectrogenre.chunks import load_chunk
from spectrogenre.config import load_params
from spectrogenre.features import rows_per_file
from spectrogenre.files import write_npz

PARAMS = load_params(ROOT / "params.yaml")
SHAPE = PARAMS.frontend.shape
BATCH_SIZE = PARAMS.train.batch_size
SHUFFLE_CHUNKS = PARAMS.train.shuffle_chunks
CHUNK_MB = PARAMS.features.chunk_mb
GENRES = 9


def write_chunks(folder: Path, *, clips: int, chunk_mb: float) -> Path:
    """`clips` random log spectrograms as chunk files of at most chunk_mb MiB, as the features stage writes them."""
    rows = rows_per_file(SHAPE, max_mb=chunk_mb)
    rng = np.random.default_rng(0)
    for number, first in enumerate(range(0, clips, rows)):
        n = min(rows, clips - first)
        write_npz(folder / f"train-{number:05d}.npz", x=rng.normal(-30, 20, (n, *SHAPE)).astype(np.float16),
                  y=rng.integers(0, GENRES, n).astype(np.int16), clip_id=np.arange(first, first + n))
    return folder


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def before_chunk_dataset(tree: Path):
    """chunk_dataset of an older source tree (its streaming.py, or train.py before that), with its own chunks.py."""
    current = sys.modules["spectrogenre.chunks"]
    sys.modules["spectrogenre.chunks"] = _module(tree / "src/spectrogenre/chunks.py", "before_chunks")
    source = tree / "src/spectrogenre/streaming.py"
    try:
        return _module(source if source.exists() else tree / "src/spectrogenre/train.py", "before_train").chunk_dataset
    finally:
        sys.modules["spectrogenre.chunks"] = current


def trainer(folder: Path, source: str | None):
    """A compiled seed CNN and a function that trains it one epoch on the chunks in `folder`.

    source None: the chunks loaded into memory and fit as arrays; "current": this tree's chunk_dataset;
    else the chunk_dataset of the source tree at that path.
    """
    import keras  # TensorFlow: only in the measured processes

    from spectrogenre.model import build_seed_cnn
    from spectrogenre.streaming import chunk_dataset

    paths = sorted(folder.glob("train-*.npz"))
    keras.utils.set_random_seed(0)
    model = build_seed_cnn(SHAPE, GENRES, mean=-30.0, std=20.0)
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if source is None:
        x, y, _ = (np.concatenate(parts) for parts in zip(*map(load_chunk, paths)))
        return lambda: model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0)
    dataset = chunk_dataset if source == "current" else before_chunk_dataset(Path(source))
    data = dataset(paths, SHAPE, batch_size=BATCH_SIZE, rng=np.random.default_rng(0), shuffle_chunks=SHUFFLE_CHUNKS)
    return lambda: model.fit(data, epochs=1, shuffle=False, verbose=0)


def speed(inputs: dict[str, dict], rounds: int) -> dict:
    """Wall and CPU seconds of each epoch of each input, epochs interleaved across inputs."""
    epochs = {name: trainer(Path(spec["folder"]), spec["source"]) for name, spec in inputs.items()}
    for epoch in epochs.values():
        epoch()
    times = {name: {"seconds": [], "cpu_seconds": []} for name in epochs}
    names = list(epochs)
    for round_ in range(rounds):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:  # each round starts elsewhere
            epoch = epochs[name]
            wall, cpu = time.perf_counter(), time.process_time()
            epoch()
            times[name]["seconds"].append(time.perf_counter() - wall)
            times[name]["cpu_seconds"].append(time.process_time() - cpu)
    return times


def measure(work: Path, *, tree: Path, clips: int, rounds: int, chunk_mbs: tuple[float, ...],
            before: Path | None) -> dict:
    """In-memory against streamed at each chunk size (the first is the default streamed input).

    Speed: the median epoch of each input, and the median over rounds of each round's ratio to the
    in-memory epoch next to it. Memory: peak RSS of one epoch alone of the in-memory input, and of the
    default streamed input on the clips and on twice as many (bounded: the same peak).
    """
    folders = {mb: write_chunks(work / f"chunks-{mb:g}mb", clips=clips, chunk_mb=mb) for mb in chunk_mbs}
    default = folders[chunk_mbs[0]]
    streamed = f"streamed, {chunk_mbs[0]:g} MiB chunks"
    inputs = {"in-memory": {"folder": str(default), "source": None}}
    inputs |= {f"streamed, {mb:g} MiB chunks": {"folder": str(folder), "source": "current"}
               for mb, folder in folders.items()}
    if before:
        inputs[f"{streamed} (before)"] = {"folder": str(default), "source": str(before)}
    env = bench_env([tree / "src"])
    measured = run_measured([sys.executable, "-m", "bench.training", "speed", json.dumps(inputs), str(rounds)],
                            env=env)
    epochs = json.loads(measured["stdout"].splitlines()[-1])
    double = write_chunks(work / "chunks-double", clips=2 * clips, chunk_mb=chunk_mbs[0])
    doubled = f"{streamed}, {2 * clips} clips"
    alone = {"in-memory": inputs["in-memory"], streamed: inputs[streamed],
             doubled: {"folder": str(double), "source": "current"}}
    memory = {name: run_measured([sys.executable, "-m", "bench.training", "memory", json.dumps({name: spec}), "0"],
                                 env=env)["peak_rss_mb"] for name, spec in alone.items()}
    base = epochs["in-memory"]["seconds"]
    return {
        "clips": clips, "rounds": rounds, "batch_size": BATCH_SIZE, "shuffle_chunks": SHUFFLE_CHUNKS,
        "in_memory_data_mb": round(clips * int(np.prod(SHAPE)) * 4 / 2**20),
        "inputs": {name: {"samples_per_second": round(clips / float(np.median(e["seconds"])), 1),
                          "vs_in_memory": round(float(np.median(np.divide(base, e["seconds"]))), 3),
                          "vs_in_memory_rounds": [round(b / s, 3) for b, s in zip(base, e["seconds"])],
                          "cpu_ms_per_sample": round(1000 * float(np.median(e["cpu_seconds"])) / clips, 2)}
                   for name, e in epochs.items()},
        "peak_rss_mb": memory,
        "streamed_rss_growth_at_2x_clips": round(memory[doubled] / memory[streamed] - 1, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("speed", "memory"), help="memory: one epoch of one input")
    parser.add_argument("inputs", type=json.loads, help='{"NAME": {"folder": CHUNKS, "source": null|"current"|TREE}}')
    parser.add_argument("rounds", type=int)
    args = parser.parse_args()
    if args.command == "speed":
        print(json.dumps(speed(args.inputs, args.rounds)))
    else:
        (spec,) = args.inputs.values()
        trainer(Path(spec["folder"]), spec["source"])()


if __name__ == "__main__":
    main()
