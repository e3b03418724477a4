"""Stage `crossval`: grouped k-fold cross-validation of the model kind, for an honest figure on a small library.

Clips are grouped so that no split group (album, else artist, else track), and (by artist)
no artist, is in two folds; each fold is the test set once and the rest train, with the
train stage's choices (C, epochs) made by grouped cross-validation inside them. Reported:
mean and spread of clip accuracy, track accuracy and macro-F1 over the folds, beside the
single split's figures in the evaluate stage's metrics.json.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from spectrogenre.chunks import select_rows
from spectrogenre.files import fresh_dir, read_csv, read_json, write_csv, write_json
from spectrogenre.kinds import get
from spectrogenre.library.groups import assign_folds, clip_groups, split_units

FOLD_COLUMNS = ["clip_id", "genre", "group", "artist", "fold"]


def summarise(per_fold: list[dict]) -> dict:
    """Mean, standard deviation (n - 1), min and max over folds of each level's accuracy and macro-F1."""
    summary = {}
    for level in ("clip", "track"):
        summary[level] = {}
        for metric in ("accuracy", "macro_f1"):
            values = np.array([fold[level][metric] for fold in per_fold])
            summary[level][metric] = {"mean": round(float(values.mean()), 4),
                                      "std": round(float(values.std(ddof=1)), 4),
                                      "min": round(float(values.min()), 4), "max": round(float(values.max()), 4)}
    return summary


def frozen_clip_features(features_dir: Path, *, model, frontend) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A kind's frozen extractor run on every clip of the features stage: (features (n, d), labels (n,), clip ids)."""
    from spectrogenre.model import predict_chunks
    from spectrogenre.train import feature_extractor

    dataset = read_json(features_dir / "dataset.json")
    extractor, _ = feature_extractor(model, frontend, tuple(dataset["input_shape"]))
    return predict_chunks(extractor, _chunk_paths(features_dir, dataset))


def _chunk_paths(features_dir: Path, dataset: dict) -> list[Path]:
    return [features_dir / name for split in dataset["chunks"] for name in dataset["chunks"][split]]


def cross_validate(features_dir: Path, split_dir: Path, concat_dir: Path, out_dir: Path, *, model, params, frontend,
                   folds: int, group: str, seed: int, offsets_for=None, frozen_features=None) -> dict:
    """Run the crossval stage; writes metrics.json and folds.csv (each clip's fold). folds 0: only {"folds": 0}.

    offsets_for: None, or a function of the training clips (clip_id, genre_file, group, label)
    giving the RandomOffsetClips to train on (train.random_offsets).
    frozen_features: for a kind with an extractor, its output on every clip (features, labels, clip ids)
    as `frozen_clip_features` gives it, from a caller that cross-validates several times; default: run it here.
    """
    from spectrogenre.evaluate import scores, track_votes
    from spectrogenre.model import predict_chunks
    from spectrogenre.train import feature_extractor, fit_classifier, fit_on_features

    out_dir = fresh_dir(out_dir)
    if folds == 0:
        write_csv(pd.DataFrame(columns=FOLD_COLUMNS), out_dir / "folds.csv")
        write_json({"folds": 0}, out_dir / "metrics.json")
        return {"folds": 0}
    dataset = read_json(features_dir / "dataset.json")
    labels, input_shape = dataset["labels"], tuple(dataset["input_shape"])
    paths = _chunk_paths(features_dir, dataset)
    artists = read_csv(concat_dir / "index.csv", dtype=str)[["track", "artist"]]
    clips = read_csv(split_dir / "clips.csv", dtype={"group": str, "track": str}).merge(artists, on="track",
                                                                                             how="left")
    groups, by = clip_groups(clips, group=group)
    group_of = split_units(clips).set_axis(clips["clip_id"])
    track_of = clips["track"].set_axis(clips["clip_id"])
    clips["fold"] = assign_folds(clips, groups, folds=folds, seed=seed)
    write_csv(clips[FOLD_COLUMNS], out_dir / "folds.csv")
    cached = None
    started = time.perf_counter()
    if get(model.kind).extractor is not None:  # the frozen part runs once per clip, for every fold
        extractor, backbone = feature_extractor(model, frontend, input_shape)
        features, y, ids = frozen_features or predict_chunks(extractor, paths)
        cached = pd.Series(np.arange(len(ids)), index=ids)
    per_fold = []
    for k in range(folds):
        role = np.where(clips["fold"] == k, "test", np.where(clips["fold"] == (k + 1) % folds, "val", "train"))
        ids_of = {r: clips.loc[role == r, "clip_id"].to_numpy() for r in ("train", "val", "test")}
        with tempfile.TemporaryDirectory(dir=out_dir) as work:
            work = Path(work)
            if cached is None:
                subsets = {r: select_rows(paths, ids_of[r]) for r in ids_of}
                offsets = offsets_for(clips[role != "test"]) if offsets_for else None
                fitted = fit_classifier(model, params, frontend=frontend, input_shape=input_shape,
                                        n_genres=len(labels), train_paths=subsets["train"],
                                        val_paths=subsets["val"], group_of=group_of, track_of=track_of,
                                        live_dir=work / "live",
                                        offsets=offsets)
                probs, y_test, test_ids = predict_chunks(fitted.model, subsets["test"])
            else:
                rows = {r: cached[ids_of[r]].to_numpy() for r in ids_of}
                fitted = fit_on_features(model, params, extractor=extractor, backbone=backbone,
                                         train=(features[rows["train"]], y[rows["train"]]),
                                         val=(features[rows["val"]], y[rows["val"]]),
                                         groups=(group_of[ids_of["train"]].to_numpy(),
                                                 group_of[ids_of["val"]].to_numpy()),
                                         tracks=(track_of[ids_of["train"]].to_numpy(),
                                                 track_of[ids_of["val"]].to_numpy()),
                                         n_genres=len(labels), input_shape=input_shape, live_dir=work / "live")
                probs, y_test, test_ids = fitted.predict_features(features[rows["test"]]), y[rows["test"]], ids_of["test"]
        tracks = clips.set_index("clip_id").loc[test_ids, "track"].to_numpy()
        track_true, track_pred = track_votes(probs, y_test, tracks)
        per_fold.append({"fold": k, "clip": scores(y_test, probs.argmax(axis=1), len(labels)) | {"clips": len(y_test)},
                         "track": scores(track_true, track_pred, len(labels)) | {"tracks": len(track_true)},
                         "best_val_accuracy": fitted.summary["best_val_accuracy"],
                         "selected": {key: fitted.summary[key] for key in ("head", "head_c", "head_alpha", "best_epoch")
                                      if key in fitted.summary}})
        print(f"crossval: fold {k + 1}/{folds}: clip accuracy {per_fold[-1]['clip']['accuracy']}, "
              f"track accuracy {per_fold[-1]['track']['accuracy']}", flush=True)
    metrics = {"folds": folds, "group": by, "kind": model.kind} | summarise(per_fold) | {"per_fold": per_fold}
    write_json(metrics, out_dir / "metrics.json")
    seconds = round(time.perf_counter() - started, 1)  # beside the tracked metrics: it varies from run to run
    write_json({"seconds": seconds}, out_dir / "timing.json")
    return metrics | {"seconds": seconds}
