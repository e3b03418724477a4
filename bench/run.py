"""Benchmarks of spectrogenre: speed, memory and scale, each side by side with a baseline of the same run.

    python bench/run.py                    # every figure (about 45 minutes on 2 cores)
    python bench/run.py --quick            # a smoke run of every figure on tiny inputs (about a minute)
    python bench/run.py --before 5a3e5dc   # also the pipeline, training input and `predict` of a commit
    python bench/run.py --only inference   # some figures; the others stay as they were in results.json

Writes results.json and results.md (bench/ for a full run, bench/out/quick/ for --quick).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `spectrogenre` importable from the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from bench import audio_to_features, inference, scale, stream_memory, training
from bench.library import demo_library, long_song, synth_library, tracks
from bench.measure import ROOT, copy_pipeline, load_average, machine
from bench.report import markdown

REAL_LIBRARY = Path("/work/shared/realmusic/emotify-dev")
FIGURES = ("audio_to_features", "scale", "training", "train_data_path", "inference")
PIPELINE_SOURCES = ("dvc.yaml", "params.yaml", "src", "stages")


@dataclass(frozen=True)
class Settings:
    rounds: int  # figure 1: rounds per side
    factors: tuple[int, ...]  # figure 2: library sizes
    scale_rounds: int  # figure 2: runs at each size (the fastest counts)
    stop_before: str | None  # figure 2: run the stages before this one (None: all)
    epochs: int  # figure 2: training epochs at every size
    train_clips: int  # figure 3
    train_rounds: int
    chunk_mbs: tuple[float, ...]
    repeats: int  # figure 4: cold starts per backend


FULL = Settings(rounds=2, factors=(1, 2, 4, 8), scale_rounds=2, stop_before=None, epochs=2, train_clips=1024,
                train_rounds=5, chunk_mbs=(training.CHUNK_MB, 64), repeats=3)
QUICK = Settings(rounds=1, factors=(1, 2), scale_rounds=1, stop_before="train", epochs=1, train_clips=96,
                 train_rounds=1, chunk_mbs=(4,), repeats=1)


class Inputs:
    """The libraries and songs the figures read, made once per work folder."""

    def __init__(self, work: Path, *, quick: bool, real: Path | None):
        self.work, self.quick, self.real = work, quick, real

    def _synth(self, name: str, **shape) -> Path:
        folder = self.work / name
        if not folder.exists():
            synth_library(folder.with_suffix(".tmp"), **shape).rename(folder)
        return folder

    def audio_library(self) -> tuple[Path, str]:
        """mp3s for figures 1 and 4: the real library where there is one, else synthetic stereo 44.1 kHz."""
        if self.quick:
            return self._synth("synth-tiny", genres=2, albums=3, tracks=1, seconds=20.0), "synthetic mp3s"
        if self.real:
            return self.real, f"real mp3s ({self.real})"
        return self._synth("synth-full"), "synthetic mp3s"

    def scale_base(self) -> tuple[Path, str]:
        """The library at factor 1 of figure 2: the demo library (tiny synthetic one for --quick)."""
        if self.quick:
            return self._synth("synth-scale", genres=3, albums=3, tracks=1, seconds=20.0), "synthetic mp3s"
        folder = self.work / "demo-x1"
        if not folder.exists():
            demo_library(folder.with_suffix(".tmp"), yaml.safe_load((ROOT / "params.yaml").read_text())).rename(folder)
        return folder, "the demo library (params.yaml demo:) as factor 1, its albums repeated for the larger sizes"

    def song(self) -> Path:
        """A 3-minute mp3 (30 s for --quick), made of the audio library's first tracks."""
        path = self.work / ("song-30s.mp3" if self.quick else "song-3min.mp3")
        if not path.exists():
            library, _ = self.audio_library()
            long_song(tracks(library), path, seconds=30.0 if self.quick else 180.0)
        return path


def before_tree(rev: str, work: Path) -> tuple[Path, str]:
    """dvc.yaml, params.yaml, src/ and stages/ of revision `rev`, extracted into the work folder; and its short hash."""
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    tree = work / f"before-{commit}"
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", commit, "dvc.yaml", "params.yaml", "src", "stages"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree, commit


def checkout_state() -> str:
    """The commit measured, and whether the checkout had changes on top of it."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    changed = subprocess.run(["git", "status", "--porcelain", "--", *PIPELINE_SOURCES], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
    return f"{commit} with uncommitted changes" if changed else commit


def run_figure(name: str, inputs: Inputs, settings: Settings, tree: Path, before: Path | None,
               rev: str | None) -> dict:
    work = inputs.work / name
    shutil.rmtree(work, ignore_errors=True)
    if name == "audio_to_features":
        library, described = inputs.audio_library()
        figure = audio_to_features.measure(library, work, tree=tree, rounds=settings.rounds, before=before)
        figure |= {"before": rev} if before else {}
    elif name == "scale":
        library, described = inputs.scale_base()
        figure = scale.measure(library, work, tree=tree, factors=settings.factors, epochs=settings.epochs,
                               stop_before=settings.stop_before, rounds=settings.scale_rounds)
    elif name == "training":
        described = "random spectrograms in chunk files"
        figure = training.measure(work, tree=tree, clips=settings.train_clips, rounds=settings.train_rounds,
                                  chunk_mbs=settings.chunk_mbs, before=before)
    elif name == "train_data_path":
        described = "random spectrograms in chunk files, the demo library's train and val sizes"
        figure = stream_memory.measure(work, tree=tree, factors=(settings.factors[0], settings.factors[-1]),
                                       before=before)
    else:
        library, described = inputs.audio_library()
        figure = inference.measure(inputs.song(), library, work, tree=tree, repeats=settings.repeats, before=before)
    shutil.rmtree(work, ignore_errors=True)
    return figure | {"library": described}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny inputs: a smoke run of every figure")
    parser.add_argument("--only", choices=FIGURES, action="append", help="run only this figure (repeatable)")
    parser.add_argument("--before", metavar="REV",
                        help="also measure the pipeline, the training input and predict of this git revision")
    parser.add_argument("--real-library", type=Path, default=REAL_LIBRARY if REAL_LIBRARY.is_dir() else None,
                        help="a <genre>/<album>/<track>.mp3 library for figures 1 and 4 (default: synthetic mp3s)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench/out/work",
                        help="folder for libraries (kept and reused) and throw-away projects")
    parser.add_argument("--out", type=Path, help="folder for results.json and results.md "
                                                  "(default: bench/, or bench/out/quick with --quick)")
    args = parser.parse_args()
    settings = QUICK if args.quick else FULL
    out = args.out or (ROOT / "bench/out/quick" if args.quick else ROOT / "bench")
    work = args.work / ("quick" if args.quick else "full")
    work.mkdir(parents=True, exist_ok=True)
    inputs = Inputs(work, quick=args.quick, real=args.real_library)
    # every figure measures this copy, whatever happens to the checkout while the benchmarks run
    tree = work / "tree"
    shutil.rmtree(tree, ignore_errors=True)
    copy_pipeline(ROOT, tree)
    before, commit = before_tree(args.before, work) if args.before else (None, None)
    previous = out / "results.json"
    results = json.loads(previous.read_text()) if args.only and previous.exists() else {"figures": {}}
    results["machine"] = machine()
    command, code = " ".join(["python bench/run.py", *sys.argv[1:]]), checkout_state()
    for name in args.only or FIGURES:
        load, started, date = load_average(), time.perf_counter(), time.strftime("%Y-%m-%d %H:%M")
        print(f"{name} ...", flush=True)
        figure = run_figure(name, inputs, settings, tree, before, commit)
        figure |= {"command": command, "date": date, "code": code, "load": [load, load_average()],
                   "took_s": round(time.perf_counter() - started)}
        results["figures"][name] = figure
        out.mkdir(parents=True, exist_ok=True)
        (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        (out / "results.md").write_text(markdown(results))
    print(f"wrote {out / 'results.json'} and {out / 'results.md'}")


if __name__ == "__main__":
    main()
