"""Stage `train`: fit the chosen model kind (kinds/) on the training clips.

Kinds with a frozen extractor (MFCC statistics, musicnn) run it once per clip and fit on the
cached features; the seed CNN trains end to end on the chunks. Every kind uses all the clips
it is given: the logistic regression's C, and the seed CNN's and fine-tuning's number of
epochs, are chosen by grouped cross-validation over train + val, then the model is refitted
on both. Every kind also returns held-out probabilities (clips the model that
made them never saw), on which evaluate calibrates. Every kind ends as one Keras model:
log spectrogram (bins, frames) -> genre probabilities.
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from spectrogenre.chunks import Chunk
from spectrogenre.files import fresh_dir, read_csv, read_json, write_json, write_npz
from spectrogenre.fitting import Fitted
from spectrogenre.frontend import Frontend
from spectrogenre.kinds import get
from spectrogenre.library.groups import split_units
from spectrogenre.model import predict_chunks, save_classifier
from spectrogenre.offsets import RandomOffsetClips
from spectrogenre.params import ModelParams, TrainParams


def split_paths(features_dir: Path, dataset: dict, split: str) -> list[Path]:
    return [features_dir / name for name in dataset["chunks"][split]]


def feature_extractor(model: ModelParams, frontend: Frontend, input_shape: tuple[int, int]):
    """(the kind's frozen feature model: log spectrogram -> clip features, its backbone or None)."""
    return get(model.kind).extractor(model, frontend, input_shape)


def fit_on_features(model: ModelParams, params: TrainParams, *, extractor: keras.Model, backbone: keras.Model | None,
                    train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray],
                    groups: tuple[np.ndarray, np.ndarray], n_genres: int, input_shape: tuple[int, int], live_dir: Path,
                    tracks: tuple[np.ndarray, np.ndarray] | None = None) -> Fitted:
    """A kind with an extractor, fitted on its clips' cached features: (features (n, ...), labels (n,)) per split,
    each clip's split group (album, else artist, else track) for grouped choices, and its track."""
    return get(model.kind).fit(model, params, extractor=extractor, backbone=backbone, train=train, val=val,
                               groups=groups, n_genres=n_genres, input_shape=input_shape, live_dir=live_dir,
                               tracks=tracks)


def fit_classifier(model: ModelParams, params: TrainParams, *, frontend: Frontend, input_shape: tuple[int, int],
                   n_genres: int, train_paths: list[Chunk], val_paths: list[Chunk], group_of: pd.Series,
                   live_dir: Path, offsets: RandomOffsetClips | None = None,
                   track_of: pd.Series | None = None) -> Fitted:
    """Train `model.kind` on the clips of the train and val chunks (see the module doc).

    group_of: each clip's split group, by clip_id (grouped choices: the heads' C, the number of epochs);
    track_of: each clip's track, by clip_id (heads fitted on whole tracks, model.pool_over), else None.
    offsets: with train.random_offsets, the audio of the train + val clips.
    """
    kind = get(model.kind)
    if kind.extractor is None:
        return kind.fit(model, params, train_paths=train_paths, val_paths=val_paths, groups=group_of,
                        input_shape=input_shape, n_genres=n_genres, live_dir=live_dir,
                        offsets=offsets)
    extractor, backbone = feature_extractor(model, frontend, input_shape)
    started = time.perf_counter()
    x_train, y_train, train_ids = predict_chunks(extractor, train_paths)
    x_val, y_val, val_ids = predict_chunks(extractor, val_paths)
    extract_seconds = time.perf_counter() - started
    fitted = fit_on_features(model, params, extractor=extractor, backbone=backbone, train=(x_train, y_train),
                             val=(x_val, y_val), groups=(group_of[train_ids].to_numpy(), group_of[val_ids].to_numpy()),
                             n_genres=n_genres, input_shape=input_shape, live_dir=live_dir,
                             tracks=None if track_of is None else (track_of[train_ids].to_numpy(),
                                                                   track_of[val_ids].to_numpy()))
    fitted.summary["train_seconds"] = round(fitted.summary["train_seconds"] + extract_seconds, 1)
    fitted.summary["feature_seconds"] = round(extract_seconds, 1)
    return fitted


def split_groups(split_dir: Path) -> tuple[pd.Series, pd.Series]:
    """Each clip's split unit (library.groups.split_units), and its track, by clip_id."""
    clips = read_csv(Path(split_dir) / "clips.csv", dtype={"group": str, "track": str}).set_index("clip_id")
    return split_units(clips), clips["track"]


# Seconds vary from run to run: they go to timing.json, beside the outputs DVC tracks, so that a rerun
# reproduces summary.json (and dvc.lock) exactly.
TIMINGS = ("train_seconds", "feature_seconds", "train_samples_per_second")


def train_model(features_dir: Path, split_dir: Path, out_dir: Path, *, model: ModelParams, params: TrainParams,
                frontend: Frontend, offsets: RandomOffsetClips | None = None) -> dict:
    """Run the train stage: model.keras, held_out.npz (calibration data), summary.json and live/ (training curves)."""
    out_dir = fresh_dir(out_dir)
    dataset = read_json(features_dir / "dataset.json")
    train_paths, val_paths = (split_paths(features_dir, dataset, s) for s in ("train", "val"))
    group_of, track_of = split_groups(split_dir)
    fitted = fit_classifier(model, params, frontend=frontend, input_shape=tuple(dataset["input_shape"]),
                            n_genres=len(dataset["labels"]), train_paths=train_paths, val_paths=val_paths,
                            group_of=group_of, live_dir=out_dir / "live", offsets=offsets, track_of=track_of)
    save_classifier(fitted.model, out_dir / "model.keras")
    write_npz(out_dir / "held_out.npz", probabilities=fitted.held_out[0].astype(np.float32),
              labels=fitted.held_out[1].astype(np.int16))
    summary = {"kind": model.kind} | fitted.summary | {"parameters": int(fitted.model.count_params())}
    timing = {key: summary.pop(key) for key in TIMINGS if key in summary}
    write_json(summary, out_dir / "summary.json")
    write_json(timing, out_dir / "timing.json")
    return summary | timing
