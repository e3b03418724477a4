"""Figure 3: training throughput, the streamed chunk input (train.chunk_dataset) against an in-memory fit.

Each input trains its own seed CNN on the same clips with the same batch size. Speed: all inputs
in one process, one epoch each in turn for `rounds` rounds after a warm-up epoch (graph tracing),
so a shared machine's changing load hits them alike. Memory: each input alone in a process for
one epoch, peak memory of that process. The clips are random spectrograms in the split stage's chunk
format: the cost of a step does not depend on the values.
`python -m bench.training speed|memory ...` runs one process and prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from bench.measure import bench_env, run_measured
from spectrogenre.chunks import load_chunk
from spectrogenre.features import rows_per_file
from spectrogenre.files import write_npz
from spectrogenre.frontend import Frontend

SHAPE = Frontend().shape
BATCH_SIZE = 32  # params.yaml's train.batch_size
SHUFFLE_CHUNKS = 2  # params.yaml's train.shuffle_chunks
GENRES = 9
IN_MEMORY = "in-memory"


def write_chunks(folder: Path, *, clips: int, chunk_mb: float) -> Path:
    """`clips` random log spectrograms as chunk files of at most chunk_mb MiB, as the split stage writes them."""
    rows = rows_per_file(SHAPE, max_mb=chunk_mb)
    rng = np.random.default_rng(0)
    for number, first in enumerate(range(0, clips, rows)):
        n = min(rows, clips - first)
        write_npz(folder / f"train-{number:05d}.npz", x=rng.normal(-30, 20, (n, *SHAPE)).astype(np.float16),
                  y=rng.integers(0, GENRES, n).astype(np.int16), clip_id=np.arange(first, first + n))
    return folder


def trainer(folder: Path, *, in_memory: bool):
    """A compiled seed CNN and a function that trains it one epoch on the chunks in `folder`."""
    import keras  # TensorFlow: only in the measured processes

    from spectrogenre.model import build_seed_cnn
    from spectrogenre.train import chunk_dataset

    paths = sorted(folder.glob("train-*.npz"))
    keras.utils.set_random_seed(0)
    model = build_seed_cnn(SHAPE, GENRES, mean=-30.0, std=20.0)
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if in_memory:
        x, y, _ = (np.concatenate(parts) for parts in zip(*map(load_chunk, paths)))
        return lambda: model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, shuffle=True, verbose=0)
    data = chunk_dataset(paths, SHAPE, batch_size=BATCH_SIZE, rng=np.random.default_rng(0),
                         shuffle_chunks=SHUFFLE_CHUNKS)
    return lambda: model.fit(data, epochs=1, shuffle=False, verbose=0)


def speed(folders: dict[str, Path], rounds: int) -> dict:
    """Seconds per epoch of each input (name -> chunk folder), epochs interleaved across inputs."""
    epochs = {name: trainer(folder, in_memory=name == IN_MEMORY) for name, folder in folders.items()}
    for epoch in epochs.values():
        epoch()
    seconds = dict.fromkeys(epochs, 0.0)
    for _ in range(rounds):
        for name, epoch in epochs.items():
            started = time.perf_counter()
            epoch()
            seconds[name] += time.perf_counter() - started
    return {name: total / rounds for name, total in seconds.items()}


def measure(work: Path, *, tree: Path, clips: int, rounds: int, chunk_mbs: tuple[float, ...]) -> dict:
    """In-memory against streamed at each chunk size (the first is params.yaml's split.chunk_mb)."""
    folders = {f"streamed, {mb:g} MiB chunks": write_chunks(work / f"chunks-{mb:g}mb", clips=clips, chunk_mb=mb)
               for mb in chunk_mbs}
    folders = {IN_MEMORY: next(iter(folders.values()))} | folders
    env = bench_env([tree / "src"])
    measured = run_measured([sys.executable, "-m", "bench.training", "speed", str(rounds),
                             *(f"{name}={folder}" for name, folder in folders.items())], env=env)
    epoch_seconds = json.loads(measured["stdout"].splitlines()[-1])
    memory = {name: run_measured([sys.executable, "-m", "bench.training", "memory", name, str(folder)], env=env)[
        "peak_pss_mb"] for name, folder in list(folders.items())[:2]}
    base = clips / epoch_seconds[IN_MEMORY]
    return {
        "clips": clips, "rounds": rounds, "batch_size": BATCH_SIZE,
        "in_memory_data_mb": round(clips * int(np.prod(SHAPE)) * 4 / 2**20),
        "inputs": {name: {"samples_per_second": round(clips / seconds, 1),
                          "vs_in_memory": round(clips / seconds / base, 3),
                          **({"peak_pss_mb": memory[name]} if name in memory else {})}
                   for name, seconds in epoch_seconds.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    timed = commands.add_parser("speed", help="seconds per epoch of each NAME=CHUNK_FOLDER input, interleaved")
    timed.add_argument("rounds", type=int)
    timed.add_argument("inputs", nargs="+")
    alone = commands.add_parser("memory", help="one epoch of one input (measure the process's peak memory)")
    alone.add_argument("name")
    alone.add_argument("folder", type=Path)
    args = parser.parse_args()
    if args.command == "speed":
        folders = dict(item.split("=", 1) for item in args.inputs)
        print(json.dumps(speed({name: Path(folder) for name, folder in folders.items()}, args.rounds)))
    else:
        trainer(args.folder, in_memory=args.name == IN_MEMORY)()


if __name__ == "__main__":
    main()
