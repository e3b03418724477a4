"""Figure 4: inference, LiteRT (what `spectrogenre predict` runs) against Keras on the same song and model.

- cold start: a new process, from its start to the verdict of one 3-minute song;
- warm latency: decode, windows, spectrograms and model on that song, in a process that already
  loaded the model;
- folder: `spectrogenre predict FOLDER` on many songs, process start to last verdict, in times real time.

The model is the seed CNN with random weights, exported by the export stage's own code: the
cost of a verdict does not depend on the weights.
`python -m bench.inference export WORK` writes the model; `warm-litert|warm-keras SONG EXPORT` measures one
warm side and prints JSON; `keras-verdict SONG EXPORT` is the Keras cold start (LiteRT's is `predict` itself).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from bench.library import audio_seconds, tracks
from bench.measure import bench_env, run_measured

LABELS = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae")


def make_export(folder: Path) -> None:
    """WORK/export (model.tflite, spec.json) and WORK/model.keras: an untrained seed CNN, via the export stage."""
    import keras

    from spectrogenre.export import export_model
    from spectrogenre.files import write_json, write_npz
    from spectrogenre.frontend import Frontend
    from spectrogenre.model import build_seed_cnn
    from spectrogenre.params import ExportParams, TrimParams

    frontend = Frontend()
    keras.utils.set_random_seed(0)
    model = build_seed_cnn(frontend.shape, len(LABELS), mean=-40.0, std=20.0)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "model.keras")
    features = folder / "features"  # the features stage's layout: test clips for the export's parity check
    x = np.random.default_rng(0).normal(-40, 20, (4, *frontend.shape)).astype(np.float16)
    write_npz(features / "chunks/test-00000.npz", x=x, y=np.zeros(4, np.int16), clip_id=np.arange(4))
    write_json({"labels": list(LABELS), "chunks": {"test": ["chunks/test-00000.npz"]}}, features / "dataset.json")
    write_json({"calibration": {"temperature": 1.0}}, folder / "metrics.json")
    export_model(folder / "model.keras", features, folder / "metrics.json", folder / "export", frontend=frontend,
                 trim=TrimParams(), export=ExportParams(), kind="seed_cnn")


def load(backend: str, export: Path):
    """The export as inference reads it, its model run by LiteRT or by Keras from model.keras."""
    from spectrogenre.inference import ExportedModel

    exported = ExportedModel.load(export)
    if backend == "litert":
        return exported
    import dataclasses

    import keras

    class KerasModel:
        def __init__(self, path: Path):
            self._model = keras.models.load_model(path)

        def predict(self, spectrograms: np.ndarray) -> np.ndarray:
            return self._model.predict_on_batch(spectrograms)

    return dataclasses.replace(exported, model=KerasModel(export.parent / "model.keras"))


def verdict(song: Path, exported) -> str:
    from spectrogenre.inference import classify, decode

    return classify(decode(song, sample_rate=exported.frontend.sample_rate), exported).genre


def run_warm(backend: str, song: Path, export: Path, repeats: int = 5) -> None:
    exported = load(backend, export)
    verdict(song, exported)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        verdict(song, exported)
        times.append(time.perf_counter() - started)
    print(json.dumps({"seconds": statistics.median(times)}))


def predict_command(paths: list[Path], export: Path) -> list[str]:
    """`spectrogenre predict` as its console script runs it (the tree is chosen by PYTHONPATH)."""
    return [sys.executable, "-c", "from spectrogenre.cli import main; main()", "predict", *map(str, paths),
            "--model", str(export)]


def measure(song: Path, folder: Path, work: Path, *, tree: Path, repeats: int, before: Path | None) -> dict:
    """Cold start and warm latency per backend; folder throughput of `predict` (and of `before`'s predict)."""
    env = bench_env([tree / "src"])
    run_measured([sys.executable, "-m", "bench.inference", "export", str(work)], env=env)
    export = work / "export"
    trees = {"litert": tree} | ({"litert (before)": before} if before else {})
    cold = {name: [run_measured(predict_command([song], export), env=bench_env([t / "src"]))["seconds"]
                   for _ in range(repeats)] for name, t in trees.items()}
    keras = [sys.executable, "-m", "bench.inference", "keras-verdict", str(song), str(export)]
    cold["keras"] = [run_measured(keras, env=env)["seconds"] for _ in range(repeats)]
    warm = {backend: run_measured([sys.executable, "-m", "bench.inference", f"warm-{backend}", str(song), str(export)],
                                  env=env) for backend in ("litert", "keras")}
    songs = tracks(folder)
    seconds = audio_seconds(songs)
    folders = {name: run_measured(predict_command([folder], export), env=bench_env([t / "src"]))
               for name, t in trees.items()}
    return {
        "song_seconds": round(audio_seconds([song]), 1),
        "repeats": repeats,
        "cold_start_s": {name: round(statistics.median(times), 2) for name, times in cold.items()},
        "warm_latency_s": {backend: round(json.loads(r["stdout"].splitlines()[-1])["seconds"], 3)
                           for backend, r in warm.items()},
        "peak_rss_mb": {backend: r["peak_rss_mb"] for backend, r in warm.items()},
        "folder": {"tracks": len(songs), "audio_hours": round(seconds / 3600, 3),
                   "runs": {name: {"seconds": r["seconds"], "x_real_time": round(seconds / r["seconds"]),
                                   "peak_rss_mb": r["peak_rss_mb"]} for name, r in folders.items()}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("export", "keras-verdict", "warm-litert", "warm-keras"))
    parser.add_argument("paths", type=Path, nargs="+", help="export: WORK; the others: SONG EXPORT")
    args = parser.parse_args()
    if args.mode == "export":
        make_export(args.paths[0])
        return
    song, export = args.paths
    if args.mode == "keras-verdict":
        print(json.dumps({"genre": verdict(song, load("keras", export))}))
    else:
        run_warm(args.mode.removeprefix("warm-"), song, export)


if __name__ == "__main__":
    main()
