"""Frozen musicnn on a real library: a track's verdict from its 15 s windows (today) against one from all its patches
pooled (a head fitted and applied on whole tracks), in grouped 5-fold cross-validation.

    python -m bench.track_pooling LIBRARY [--cache FILE.npz] [--folds 5]

LIBRARY holds `tracks.csv` (path, genre, artist, album; paths relative to it), as
../shared/realmusic/emotify-dev does. Each track's musicnn embeddings (200-d, one per 3 s patch, musicnn's
non-overlapping patches of the track scaled to -26 dBFS) are computed once and cached (`--cache`). Test folds are
whole artists (the crossval stage's assign_folds, seed 0); each head is a logistic regression whose C is chosen by
grouped cross-validation on albums inside the training folds, each album weighing the same (heads.choose_c, as the
train stage chooses it):
- windows: the head fits on each 15 s window's patch mean and standard deviation (model.pooling mean_std,
  pool_over clip: the recommended default) and a track's verdict is its windows' mean probability, as `predict`
  gives it;
- track: the head fits on each track's mean and standard deviation over all its patches, and a test track is
  classified the same way (what `predict` would do with pool_over track if it pooled a song's windows' features).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import load_average

PATCHES_PER_WINDOW = 5  # 15 s of musicnn's 3 s patches
LEVEL_DBFS = -26.0


def patch_embeddings(library: Path, tracks: pd.DataFrame, cache: Path) -> list[np.ndarray]:
    """Each track's (patches, 200) musicnn embeddings, from `cache` where it holds them."""
    if cache.exists():
        with np.load(cache) as held:
            return [held[f"track{i}"] for i in range(len(tracks))]
    from spectrogenre.audio_io import read_mono
    from spectrogenre.musicnn.embedding import embed

    embedded = []
    for i, path in enumerate(tracks["path"]):
        audio = read_mono(library / path, sample_rate=16000)
        audio *= 10 ** (LEVEL_DBFS / 20) / max(float(np.sqrt(np.mean(np.square(audio)))), 1e-9)
        embedded.append(embed(audio))
        print(f"embedded {i + 1}/{len(tracks)}", end="\r", flush=True)
    np.savez(cache, **{f"track{i}": e for i, e in enumerate(embedded)})
    return embedded


def mean_std(patches: np.ndarray) -> np.ndarray:
    return np.concatenate([patches.mean(axis=0), patches.std(axis=0)])


def examples(embedded: list[np.ndarray], rows: np.ndarray, *, whole_tracks: bool) -> tuple[np.ndarray, np.ndarray]:
    """(pooled features, each one's track) of the tracks `rows`: one per track, or one per whole 15 s window."""
    features, track_of = [], []
    for i in rows:
        patches = embedded[i]
        pools = [patches] if whole_tracks else [patches[s:s + PATCHES_PER_WINDOW] for s in
                                                range(0, len(patches) - PATCHES_PER_WINDOW + 1, PATCHES_PER_WINDOW)]
        features += [mean_std(p) for p in pools]
        track_of += [i] * len(pools)
    return np.asarray(features), np.asarray(track_of)


def fold_accuracy(embedded, labels, albums, train, test, *, whole_tracks: bool, n_genres: int) -> tuple[float, float]:
    """(track accuracy on the test tracks, the C chosen) of a head fitted on the training tracks."""
    from spectrogenre.heads import choose_c, fit_logistic_head, group_balance

    x, track_of = examples(embedded, train, whole_tracks=whole_tracks)
    y, groups = labels[track_of], albums[track_of]
    c = choose_c(x, y, groups, n_genres=n_genres, seed=0, balance=True).c
    head = fit_logistic_head(x, y, n_genres=n_genres, c=c, weights=group_balance(y, groups))
    x_test, test_of = examples(embedded, test, whole_tracks=whole_tracks)
    by_track = pd.DataFrame(head.probabilities(x_test)).groupby(test_of).mean()  # a track's windows' mean
    return float((by_track.to_numpy().argmax(axis=1) == labels[by_track.index]).mean()), c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", type=Path)
    parser.add_argument("--cache", type=Path, default=Path("track_pooling_embeddings.npz"))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    from spectrogenre.library.groups import assign_folds
    from spectrogenre.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    started, load_before = time.perf_counter(), load_average()
    tracks = pd.read_csv(args.library / "tracks.csv", dtype=str, keep_default_na=False)
    embedded = patch_embeddings(args.library, tracks, args.cache)
    genres = sorted(tracks["genre"].unique())
    labels = tracks["genre"].map({g: i for i, g in enumerate(genres)}).to_numpy()
    albums = tracks["album"].to_numpy()
    fold = assign_folds(tracks[["genre"]], tracks["artist"], folds=args.folds, seed=0).to_numpy()
    results = {}
    for name, whole_tracks in (("windows", False), ("track", True)):
        per_fold = [fold_accuracy(embedded, labels, albums, np.flatnonzero(fold != k), np.flatnonzero(fold == k),
                                  whole_tracks=whole_tracks, n_genres=len(genres)) for k in range(args.folds)]
        results[name] = np.array([accuracy for accuracy, _ in per_fold])
        print(f"{name:8s} track accuracy {results[name].mean():.3f} ± {results[name].std(ddof=1):.3f}  per fold "
              f"{np.round(results[name], 3).tolist()}  C {[c for _, c in per_fold]}", flush=True)
    gain = results["track"] - results["windows"]
    print(f"track - windows: {gain.mean():+.3f} (folds {np.round(gain, 3).tolist()}); {len(tracks)} tracks, "
          f"{args.folds} folds by artist; load {load_before:.2f} -> {load_average():.2f}; "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
