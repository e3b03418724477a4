"""Figure 1: audio to features, the pipeline's path against the naive recipe, in times real time.

Each side runs in a process of its own on the same files (read once before, so both find them cached):

- naive: in one process, `librosa.load(track, sr=22050)` for each track, then `librosa.stft` and
  `amplitude_to_db` for each 15 s clip;
- pipeline: the stages of a source tree (this one, or an older revision for the before figure)
  from scan through features, each script called as dvc.yaml calls it but all in one process;
  they use every core this process may use;
- steps: where each side's CPU time goes, each step of both recipes timed alone on the same tracks
  (process time, one core): the reason for the pipeline's speed-up bound.

Both start timing after their imports, so interpreter start-up counts for neither.
`python -m bench.audio_to_features naive|pipeline|steps LIBRARY [--tree DIR]`, run in a folder holding a
params.yaml, prints the times as JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import shlex
import shutil
import sys
import time
from pathlib import Path

import typer
import yaml

from bench.library import audio_seconds, tracks
from bench.measure import ROOT, bench_env, clocks, cores, pipeline_stages, run_measured

LAST_STAGE = "features"
RESAMPLE = "resample (naive: soxr_hq; pipeline: the front end's polyphase resampler)"
SPECTROGRAMS = "spectrograms (naive: librosa, clip by clip; pipeline: the front end, in batches)"


def naive(library: Path) -> dict:
    import librosa

    from spectrogenre.frontend import Frontend

    frontend = Frontend()
    paths = tracks(library)
    warm, _ = librosa.load(paths[0], sr=frontend.sample_rate, duration=frontend.clip_seconds)  # lazy imports
    librosa.amplitude_to_db(abs(librosa.stft(warm, n_fft=frontend.n_fft, hop_length=frontend.hop_length)))
    wall, cpu = clocks()
    for path in paths:
        audio, _ = librosa.load(path, sr=frontend.sample_rate)
        for start in range(0, len(audio) - frontend.clip_samples + 1, frontend.clip_samples):
            clip = audio[start: start + frontend.clip_samples]
            librosa.amplitude_to_db(abs(librosa.stft(clip, n_fft=frontend.n_fft, hop_length=frontend.hop_length)))
    return _elapsed(wall, cpu)


def pipeline(library: Path, tree: Path) -> dict:
    """`tree`'s stages from the first (scan, or concat before it existed) through features as dvc.yaml runs them,
    in this folder (holding a params.yaml)."""
    commands = {}
    for name, command in pipeline_stages(tree, library=library).items():
        commands[name] = shlex.split(command)
        if name == LAST_STAGE:
            break
    apps = {}
    for name, (_, script, *_) in commands.items():
        spec = importlib.util.spec_from_file_location(f"stage_{name}", tree / script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        apps[name] = typer.Typer(add_completion=False)
        apps[name].command()(module.main)
    stages = {}
    for name, (_, _, *options) in commands.items():
        wall, cpu = clocks()
        apps[name](args=options, standalone_mode=False)
        stages[name] = _elapsed(wall, cpu)
    return {key: sum(stage[key] for stage in stages.values()) for key in ("seconds", "cpu_seconds")} | {
        "stages": stages}


def steps(library: Path) -> dict:
    """CPU seconds of each step of the two recipes on every track, each step alone, in this process.

    {step: {"naive": s, "pipeline": s}}, a side missing where the recipe has no such step. Decoding
    is timed once for both: librosa.load decodes with the same libsndfile. The pipeline resamples
    with its front end's resampler (what the phone app reproduces), writes and reads back the cached
    16-bit FLAC genre file, measures trim's silence levels and computes its spectrograms in
    batches; the naive recipe resamples with soxr_hq (librosa.load's default) and computes librosa's
    spectrogram clip by clip.
    """
    import librosa
    import numpy as np
    import soundfile as sf

    from spectrogenre.audio_io import iter_mono_blocks
    from spectrogenre.features import BATCH
    from spectrogenre.frontend import Frontend, log_spectrogram
    from spectrogenre.params import TrimParams
    from spectrogenre.resampler import resample
    from spectrogenre.trim import frame_levels_db

    frontend = Frontend()
    rate = frontend.sample_rate
    frame_length = TrimParams().frame_length(rate)
    cpu: dict[str, dict[str, float]] = {}

    @contextlib.contextmanager
    def step(name: str, *sides: str):
        started = time.process_time()
        yield
        for side in sides:
            cpu.setdefault(name, {}).setdefault(side, 0.0)
            cpu[name][side] += time.process_time() - started

    warm = np.zeros(frontend.clip_samples, dtype=np.float32)  # lazy imports and FFT plans, outside the timing
    librosa.amplitude_to_db(abs(librosa.stft(warm, n_fft=frontend.n_fft, hop_length=frontend.hop_length)))
    librosa.resample(warm, orig_sr=2 * rate, target_sr=rate, res_type="soxr_hq")
    log_spectrogram(warm, frontend)
    for path in tracks(library):
        with step("decode to mono", "naive", "pipeline"):
            audio = np.concatenate(list(iter_mono_blocks(path)))
        source_rate = sf.info(str(path)).samplerate
        with step(RESAMPLE, "naive"):
            librosa.resample(audio, orig_sr=source_rate, target_sr=rate, res_type="soxr_hq")
        with step(RESAMPLE, "pipeline"):
            audio = resample(audio, orig_sr=source_rate, target_sr=rate)
        with step("cached 16-bit FLAC genre file: write, read back", "pipeline"):
            flac = io.BytesIO()
            sf.write(flac, np.clip(audio, -1.0, 1.0), rate, format="FLAC", subtype="PCM_16")
            flac.seek(0)
            audio, _ = sf.read(flac, dtype="float32")
        with step("silence levels (trim)", "pipeline"):
            frame_levels_db(audio, frame_length=frame_length)
        clips = audio[: len(audio) // frontend.clip_samples * frontend.clip_samples].reshape(-1, frontend.clip_samples)
        with step(SPECTROGRAMS, "naive"):
            for clip in clips:
                librosa.amplitude_to_db(abs(librosa.stft(clip, n_fft=frontend.n_fft, hop_length=frontend.hop_length)))
        with step(SPECTROGRAMS, "pipeline"):
            for first in range(0, len(clips), BATCH):
                log_spectrogram(clips[first: first + BATCH], frontend)
    return {"cpu_seconds": {name: {side: round(seconds, 2) for side, seconds in sides.items()}
                            for name, sides in cpu.items()}}


def _elapsed(wall: float, cpu: float) -> dict:
    now_wall, now_cpu = clocks()
    return {"seconds": now_wall - wall, "cpu_seconds": now_cpu - cpu}


def run_side(side: str, library: Path, work: Path, tree: Path) -> dict:
    """One side in its own process (with `tree`'s package for the pipeline); adds its peak memory."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    params = yaml.safe_load((tree / "params.yaml").read_text()) | {"library": str(library)}
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    measured = run_measured([sys.executable, "-m", "bench.audio_to_features", side, str(library), "--tree", str(tree)],
                            cwd=work, env=bench_env([tree / "src"]))
    result = json.loads(measured["stdout"].strip().splitlines()[-1])
    shutil.rmtree(work)
    return result | {"peak_rss_mb": measured["peak_rss_mb"]}


def measure(library: Path, work: Path, *, tree: Path, rounds: int, before: Path | None) -> dict:
    """Each side `rounds` times, interleaved (a shared machine's load then hits them alike); the best round counts."""
    paths = tracks(library)
    seconds = audio_seconds(paths)
    for path in paths:
        path.read_bytes()
    sides = [("naive", "naive", tree), ("pipeline", "pipeline", tree)]
    if before:
        sides.append(("pipeline_before", "pipeline", before))
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in sides}
    for _ in range(rounds):
        for name, side, side_tree in sides:
            runs[name].append(run_side(side, library, work / name, side_tree))
    best = {name: min(results, key=lambda r: r["seconds"]) for name, results in runs.items()}
    figure = {
        "tracks": len(paths),
        "audio_hours": round(seconds / 3600, 3),
        "rounds": rounds,
        "sides": {name: {"seconds": round(r["seconds"], 2), "cpu_seconds": round(r["cpu_seconds"], 2),
                         "x_real_time": round(seconds / r["seconds"]), "peak_rss_mb": r["peak_rss_mb"],
                         **({"stages": {stage: {k: round(v, 2) for k, v in times.items()}
                                        for stage, times in r["stages"].items()}} if "stages" in r else {})}
                  for name, r in best.items()},
        "speedup_vs_naive": round(best["naive"]["seconds"] / best["pipeline"]["seconds"], 2),
        # naive is one process: on idle cores its wall time is its CPU time, while the pipeline's can
        # at best be its CPU time spread over every core
        "speedup_bound_on_idle_cores": round(
            cores() * best["naive"]["cpu_seconds"] / best["pipeline"]["cpu_seconds"], 2),
    }
    figure["steps"] = run_side("steps", library, work / "steps", tree)["cpu_seconds"]
    totals = {side: round(sum(sides.get(side, 0) for sides in figure["steps"].values()), 2)
              for side in ("naive", "pipeline")}
    figure |= {"steps_total": totals, "cores": cores(),
               "speedup_bound_from_steps": round(cores() * totals["naive"] / totals["pipeline"], 2)}
    if before:
        figure["speedup_vs_before"] = round(best["pipeline_before"]["seconds"] / best["pipeline"]["seconds"], 2)
    return figure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("side", choices=("naive", "pipeline", "steps"))
    parser.add_argument("library", type=Path)
    parser.add_argument("--tree", type=Path, default=ROOT, help="source tree whose dvc.yaml and stages/ to run")
    args = parser.parse_args()
    if args.side == "naive":
        result = naive(args.library)
    elif args.side == "steps":
        result = steps(args.library)
    else:
        result = pipeline(args.library, args.tree)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
