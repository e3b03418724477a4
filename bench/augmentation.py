"""Does augmenting the training tracks (pitch, tempo, EQ) or the test tracks (test-time augmentation) help the
frozen-musicnn genre head generalise to new artists?

    python -m bench.augmentation TRACKS.csv    # a manifest: path, genre, artist
    # on 2 shared cores (load 3-4): about 32 minutes to embed the 10 variants of 200 one-minute tracks the first
    # time (2-4 minutes each), then about 14 minutes of cross-validation; with the cache (--cache), the 14 alone

Every track is rendered as VARIANTS: the original, pitch shifted by -2, -1, +1, +2 semitones, time stretched
to 0.9 and 1.1 of its tempo (librosa), and through three first-order shelving EQs (another recording chain's
tilt). Each variant is cut into 15 s windows (every 15 s), each window scaled to -26 dBFS RMS, and described by
musicnn's embedding (MSD, mean and standard deviation over its 5 patches): bench.level_sensitivity's
window_features. The features are computed once per variant and cached (--cache).

Artist-grouped 5-fold cross-validation, 3 shuffles (15 folds). In each fold a logistic head (heads.py) is
trained per CONDITION: the training tracks' original windows, plus, but for the baseline, the windows of the
condition's variants of the training tracks only. Its C is chosen from C_GRID by the least log loss on the
original windows of an inner artist-grouped 3-fold cross-validation on the training tracks (a track's variants
go with it, so no variant of a held-out track is trained on). The held-out tracks are scored on their original
audio (a track's verdict: the mean of its windows' probabilities) and, for test-time augmentation (TTA), on the
mean over the original and every variant of each variant's track probabilities.
Writes bench/augmentation.json and prints a table: track and clip accuracy, the paired difference from the
baseline over the 15 folds, pop/rock confusions summed over the folds, and wall times.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.level_sensitivity import window_features
from bench.measure import ROOT, load_average

SAMPLE_RATE = 16000
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1)
OUTER_FOLDS, INNER_FOLDS, SHUFFLES = 5, 3, (0, 1, 2)
# First-order shelves: the tilt of another microphone, room or mastering chain (each window is brought back
# to -26 dBFS afterwards, so only the balance changes). (kind, corner Hz, gain dB)
SHELVES = {"low shelf +6 dB": ("low", 200.0, 6.0), "high shelf +6 dB": ("high", 3000.0, 6.0),
           "high shelf -6 dB": ("high", 3000.0, -6.0)}
PITCH = ("pitch -2", "pitch -1", "pitch +1", "pitch +2")
STRETCH = ("stretch 0.9", "stretch 1.1")
EQ = tuple(SHELVES)
ORIGINAL = "original"
VARIANT_NAMES = (ORIGINAL, *PITCH, *STRETCH, *EQ)
# The training variants added to the originals, per condition.
CONDITIONS = {"baseline": (), "+pitch": PITCH, "+stretch": STRETCH, "+EQ": EQ, "+all": PITCH + STRETCH + EQ}
TTA_CONDITIONS = ("baseline", "+all")  # the heads also scored with test-time augmentation


def shelf(audio: np.ndarray, kind: str, corner_hz: float, gain_db: float) -> np.ndarray:
    """A first-order shelf: gain_db below (low) or above (high) about corner_hz, 0 dB at the other end.

    Analogue prototype (s + G w)/(s + w) for the low shelf, (G s + w)/(s + w) for the high one, through the
    bilinear transform with the corner prewarped.
    """
    from scipy.signal import bilinear, lfilter

    gain = 10 ** (gain_db / 20)
    corner = 2 * SAMPLE_RATE * np.tan(np.pi * corner_hz / SAMPLE_RATE)
    numerator = [1.0, gain * corner] if kind == "low" else [gain, corner]
    b, a = bilinear(numerator, [1.0, corner], fs=SAMPLE_RATE)
    return lfilter(b, a, audio).astype(np.float32)


def variant_transforms() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    """Each variant's name -> audio (16 kHz mono) -> its variant."""
    import librosa

    transforms = {ORIGINAL: lambda audio: audio}
    for name in PITCH:
        steps = int(name.split()[1])
        transforms[name] = lambda audio, steps=steps: librosa.effects.pitch_shift(audio, sr=SAMPLE_RATE, n_steps=steps)
    for name in STRETCH:
        rate = float(name.split()[1])
        transforms[name] = lambda audio, rate=rate: librosa.effects.time_stretch(audio, rate=rate)
    for name, setting in SHELVES.items():
        transforms[name] = lambda audio, setting=setting: shelf(audio, *setting)
    return transforms


def cached_features(tracks: pd.DataFrame, manifest: Path, cache: Path) -> tuple[dict, dict, dict]:
    """{variant: (windows, 400) features}, {variant: (windows,) track index}; computed for the variants the
    cache lacks (or all, if it holds other tracks) and saved after each, so that an interrupted run resumes.
    Also {variant: seconds} of the computing done now."""
    from spectrogenre.audio_io import read_mono

    paths = tracks["path"].to_numpy(dtype=str)  # a str array: the cache needs no pickle
    stored = dict(np.load(cache)) if cache.exists() else {}
    if "paths" in stored and not np.array_equal(stored["paths"], paths):
        stored = {}
    stored["paths"] = paths
    missing = [v for v in VARIANT_NAMES if f"{v}/features" not in stored]
    seconds = {}
    if missing:
        started = time.perf_counter()
        audio = [read_mono(manifest.parent / path, sample_rate=SAMPLE_RATE) for path in paths]
        seconds["decoding"] = round(time.perf_counter() - started, 1)
        transforms = variant_transforms()
        for variant in missing:
            started = time.perf_counter()
            per_track = [window_features(transforms[variant](a), 0, normalise=True) for a in audio]
            stored[f"{variant}/features"] = np.stack([w for windows in per_track for w in windows])
            stored[f"{variant}/track"] = np.concatenate([[i] * len(w) for i, w in enumerate(per_track)])
            np.savez(cache, **stored)
            seconds[variant] = round(time.perf_counter() - started, 1)
            print(f"features of {variant}: {seconds[variant]} s", flush=True)
    features = {v: stored[f"{v}/features"] for v in VARIANT_NAMES}
    track_of = {v: stored[f"{v}/track"] for v in VARIANT_NAMES}
    return features, track_of, seconds


class Windows:
    """The cached window features, selected by track and variant."""

    def __init__(self, features: dict, track_of: dict, labels: np.ndarray):
        self.features, self.track_of, self.labels = features, track_of, labels

    def rows(self, tracks: np.ndarray, variants: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(features, genre, track) of every window of `tracks` in each of `variants`."""
        x, track = [], []
        for variant in variants:
            chosen = np.isin(self.track_of[variant], tracks)
            x.append(self.features[variant][chosen])
            track.append(self.track_of[variant][chosen])
        track = np.concatenate(track)
        return np.concatenate(x), self.labels[track], track


def choose_c(windows: Windows, train: np.ndarray, added: tuple[str, ...], artists: np.ndarray, seed: int,
             grid: tuple[float, ...] = C_GRID) -> float:
    """The C of `grid` with the least log loss on the held-out original windows of an inner artist-grouped
    cross-validation over the training tracks `train`; ties go to the smaller C (stronger regularisation)."""
    from sklearn.metrics import log_loss
    from sklearn.model_selection import StratifiedGroupKFold

    from spectrogenre.heads import fit_logistic_head

    n_genres = len(np.unique(windows.labels))
    held_out_probs = {c: [] for c in grid}
    held_out_labels = []
    inner = StratifiedGroupKFold(INNER_FOLDS, shuffle=True, random_state=seed)
    for fit, held in inner.split(train, windows.labels[train], artists[train]):
        x, y, _ = windows.rows(train[fit], (ORIGINAL, *added))
        held_x, held_y, _ = windows.rows(train[held], (ORIGINAL,))
        held_out_labels.append(held_y)
        for c in grid:
            held_out_probs[c].append(fit_logistic_head(x, y, n_genres=n_genres, c=c).probabilities(held_x))
    labels = np.concatenate(held_out_labels)
    losses = {c: log_loss(labels, np.concatenate(held_out_probs[c]), labels=range(n_genres)) for c in grid}
    return min(grid, key=lambda c: losses[c])


def track_probabilities(head, windows: Windows, test: np.ndarray, variant: str) -> np.ndarray:
    """(len(test), genres): each held-out track's mean window probability in `variant`."""
    x, _, track = windows.rows(test, (variant,))
    probs = head.probabilities(x)
    return np.stack([probs[track == t].mean(axis=0) for t in test])


def evaluate_fold(windows: Windows, train: np.ndarray, test: np.ndarray, artists: np.ndarray, seed: int,
                  genres: list[str], conditions: dict[str, tuple[str, ...]], grid: tuple[float, ...]) -> dict:
    """{condition: {track_accuracy, clip_accuracy, c, verdicts, seconds}} for one outer fold, the TTA rows
    included."""
    from spectrogenre.heads import fit_logistic_head

    n_genres = len(genres)
    truth = windows.labels[test]
    scores = {}
    for condition, added in conditions.items():
        started = time.perf_counter()
        c = choose_c(windows, train, added, artists, seed, grid)
        x, y, _ = windows.rows(train, (ORIGINAL, *added))
        head = fit_logistic_head(x, y, n_genres=n_genres, c=c)
        clip_x, clip_y, _ = windows.rows(test, (ORIGINAL,))
        clip_accuracy = float((head.probabilities(clip_x).argmax(axis=1) == clip_y).mean())
        per_variant = {v: track_probabilities(head, windows, test, v)
                       for v in (VARIANT_NAMES if condition in TTA_CONDITIONS else (ORIGINAL,))}
        verdicts = {condition: per_variant[ORIGINAL].argmax(axis=1)}
        if condition in TTA_CONDITIONS:
            # Each variant weighs the same, whatever its number of windows (a 1.1 stretch has one fewer).
            verdicts[f"{condition}, TTA"] = np.mean(list(per_variant.values()), axis=0).argmax(axis=1)
        seconds = time.perf_counter() - started
        for name, verdict in verdicts.items():
            scores[name] = {"track_accuracy": float((verdict == truth).mean()), "clip_accuracy": clip_accuracy,
                            "c": c, "verdicts": verdict, "seconds": seconds}
    return scores


def summarise(per_fold: list[dict], truths: list[np.ndarray], genres: list[str]) -> list[dict]:
    """One row per condition: accuracy over the folds, the paired difference from the baseline, pop/rock
    confusions summed over the folds, the C chosen and the seconds its folds took."""
    pop, rock = genres.index("pop"), genres.index("rock")
    baseline = np.array([fold["baseline"]["track_accuracy"] for fold in per_fold])
    rows = []
    for condition in per_fold[0]:
        track = np.array([fold[condition]["track_accuracy"] for fold in per_fold])
        clip = np.array([fold[condition]["clip_accuracy"] for fold in per_fold])
        difference = track - baseline
        verdicts = [(fold[condition]["verdicts"], truth) for fold, truth in zip(per_fold, truths)]
        chosen_c = pd.Series([fold[condition]["c"] for fold in per_fold]).value_counts().sort_index()
        rows.append({
            "condition": condition,
            "track_accuracy": round(float(track.mean()), 3), "track_accuracy_std": round(float(track.std()), 3),
            "clip_accuracy": round(float(clip.mean()), 3), "clip_accuracy_std": round(float(clip.std()), 3),
            "difference_from_baseline": round(float(difference.mean()), 3),
            # Folds of different shuffles share tracks, so this standard error is optimistic (see augmentation.md).
            "difference_standard_error": round(float(difference.std(ddof=1) / np.sqrt(len(difference))), 3),
            "folds_ahead": int((difference > 0).sum()), "folds_level": int((difference == 0).sum()),
            "folds_behind": int((difference < 0).sum()),
            "pop_judged_rock": int(sum(((t == pop) & (v == rock)).sum() for v, t in verdicts)),
            "rock_judged_pop": int(sum(((t == rock) & (v == pop)).sum() for v, t in verdicts)),
            "c_chosen": {str(c): int(n) for c, n in chosen_c.items()},
            "seconds": round(float(sum(fold[condition]["seconds"] for fold in per_fold)), 1),
            "per_fold_track_accuracy": [round(float(a), 4) for a in track],
        })
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'condition':<16} {'track acc':>13} {'clip acc':>13} {'diff (SE)':>16} {'ahead/level/behind':>19} "
          f"{'pop->rock':>9} {'rock->pop':>9} {'s':>6}")
    for row in rows:
        print(f"{row['condition']:<16} {row['track_accuracy']:.3f} ± {row['track_accuracy_std']:.3f} "
              f"{row['clip_accuracy']:.3f} ± {row['clip_accuracy_std']:.3f} "
              f"{row['difference_from_baseline']:+.3f} ({row['difference_standard_error']:.3f}) "
              f"{row['folds_ahead']:>9}/{row['folds_level']}/{row['folds_behind']:<5} "
              f"{row['pop_judged_rock']:>9} {row['rock_judged_pop']:>9} {row['seconds']:>6.0f}")


def main() -> None:
    from sklearn.model_selection import StratifiedGroupKFold

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/aug_features.npz"),
                        help="the variants' window features, computed once (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/augmentation.json")
    parser.add_argument("--c-grid", default=",".join(map(str, C_GRID)), help="the C values tried (default: %(default)s)")
    parser.add_argument("--conditions", default=",".join(CONDITIONS),
                        help="the conditions run (default: all; the baseline always is): %(default)s")
    args = parser.parse_args()
    grid = tuple(float(c) for c in args.c_grid.split(","))
    conditions = {name: CONDITIONS[name] for name in CONDITIONS
                  if name == "baseline" or name in args.conditions.split(",")}
    started = time.perf_counter()
    results = {"load_average_at_start": load_average(), "c_grid": grid}
    tracks = pd.read_csv(args.manifest)
    genre = tracks["genre"].astype("category")
    genres, labels = list(genre.cat.categories), genre.cat.codes.to_numpy()
    artists = tracks["artist"].to_numpy()
    features, track_of, feature_seconds = cached_features(tracks, args.manifest, args.cache)
    windows = Windows(features, track_of, labels)
    results.update(tracks=len(tracks), windows={v: len(t) for v, t in track_of.items()},
                   feature_seconds=feature_seconds)

    cv_started = time.perf_counter()
    per_fold, truths = [], []
    for seed in SHUFFLES:
        outer = StratifiedGroupKFold(OUTER_FOLDS, shuffle=True, random_state=seed)
        for train, test in outer.split(np.arange(len(tracks)), labels, artists):
            per_fold.append(evaluate_fold(windows, train, test, artists, seed, genres, conditions, grid))
            truths.append(labels[test])
            print(f"fold {len(per_fold)}: " + ", ".join(f"{name} {score['track_accuracy']:.3f}"
                                                        for name, score in per_fold[-1].items()), flush=True)
    results["rows"] = summarise(per_fold, truths, genres)
    results["cross_validation_seconds"] = round(time.perf_counter() - cv_started, 1)
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results["rows"])
    print(f"cross-validation {results['cross_validation_seconds']} s, wall {results['wall_seconds']} s")


if __name__ == "__main__":
    main()
