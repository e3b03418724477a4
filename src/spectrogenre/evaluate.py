"""Stage `evaluate`: clip- and track-level metrics per split, per genre, calibration, and plots data.

The temperature that calibrates the model's confidences is fitted here, on the train stage's
held-out probabilities (clips the model that made them never trained on: the out-of-fold clips
of the cross-validation that chose C or the number of epochs), and judged on the test
clips: expected calibration error before and after, and a reliability plot. The export carries
it to every inference path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from spectrogenre.calibration import apply_temperature, expected_calibration_error, fit_temperature, reliability
from spectrogenre.files import fresh_dir, read_csv, read_json, write_csv, write_json
from spectrogenre.model import load_classifier, predict_chunks
from spectrogenre.split import SPLITS
from spectrogenre.verdicts import is_sure


def track_means(probs: np.ndarray, labels: np.ndarray, tracks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each track's true label and its clips' mean probabilities, as predict averages a song's windows."""
    frame = pd.DataFrame(probs).assign(track=tracks, label=labels)
    mean = frame.groupby("track").mean()
    return mean.pop("label").to_numpy(int), mean.to_numpy()


def track_votes(probs: np.ndarray, labels: np.ndarray, tracks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average the clip probabilities of each track: (true label, predicted label) per track."""
    true, mean = track_means(probs, labels, tracks)
    return true, mean.argmax(axis=1)


def track_verdicts(probs: np.ndarray, labels: np.ndarray, tracks: np.ndarray, *, temperature: float,
                   unsure_below: float) -> dict:
    """How the tracks' verdicts come out as predict gives them (each clip calibrated, a track's clips
    averaged, `unsure` below `unsure_below`): the share of tracks called unsure, and the accuracy of the
    others (None where every track is unsure)."""
    true, mean = track_means(apply_temperature(probs, temperature), labels, tracks)
    answered = is_sure(mean.max(axis=1), unsure_below)
    correct = mean.argmax(axis=1) == true
    return {"unsure": round(float(1 - answered.mean()), 4),
            "answered_accuracy": round(float(correct[answered].mean()), 4) if answered.any() else None}


def calibrate(temperature: float, test_probs: np.ndarray, test_labels: np.ndarray) -> tuple[dict, pd.DataFrame]:
    """The test clips' calibration error before and after `temperature`, and their reliability rows
    (probabilities: raw or calibrated; confidence, accuracy, clips)."""
    calibrated = apply_temperature(test_probs, temperature)
    curve = pd.DataFrame([row | {"probabilities": name}
                          for name, probs in (("raw", test_probs), ("calibrated", calibrated))
                          for row in reliability(probs, test_labels)])
    return {"test_ece_raw": round(expected_calibration_error(test_probs, test_labels), 4),
            "test_ece": round(expected_calibration_error(calibrated, test_labels), 4)}, curve


def scores(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> dict:
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", labels=range(n_labels),
                                         zero_division=0)), 4),
    }


def evaluate_model(model_path: Path, features_dir: Path, split_dir: Path, out_dir: Path, *, held_out: Path,
                   unsure_below: float, crossval: Path | None = None) -> dict:
    """Write metrics.json, predictions.csv, confusion.csv (test clips: actual, predicted) and
    reliability.csv (test clips' accuracy per confidence bin, before and after calibration).

    A split's track figures also say how many of its tracks predict would call unsure (below
    `unsure_below`, with the calibration fitted here) and how often it is right on the others.
    metrics.json also holds the crossval stage's summary (without its per-fold detail) when given.
    """
    out_dir = fresh_dir(out_dir)
    with np.load(held_out) as fitting:
        temperature = fit_temperature(fitting["probabilities"], fitting["labels"].astype(int))
        fitted_on = f"{len(fitting['labels'])} held-out clips"
    dataset = read_json(features_dir / "dataset.json")
    labels = dataset["labels"]
    clips = read_csv(split_dir / "clips.csv", dtype={"group": str, "track": str}).set_index("clip_id")
    model = load_classifier(model_path)
    metrics: dict = {"clip": {}, "track": {}}
    predictions = []
    for split in SPLITS:
        probs, y, ids = predict_chunks(model, [features_dir / name for name in dataset["chunks"][split]])
        predicted = probs.argmax(axis=1)
        metrics["clip"][split] = scores(y, predicted, len(labels)) | {"clips": len(y)}
        tracks = clips.loc[ids, "track"].to_numpy()
        track_true, track_pred = track_votes(probs, y, tracks)
        metrics["track"][split] = scores(track_true, track_pred, len(labels)) | {"tracks": len(track_true)} | \
            track_verdicts(probs, y, tracks, temperature=temperature, unsure_below=unsure_below)
        predictions.append(pd.DataFrame({
            "clip_id": ids, "split": split, "actual": [labels[i] for i in y],
            "predicted": [labels[i] for i in predicted], "confidence": probs.max(axis=1).round(4),
            "track": clips.loc[ids, "track"].to_numpy(),
        }))
        if split == "test":
            test = (probs, y)
            precision, recall, f1, support = precision_recall_fscore_support(
                y, predicted, labels=range(len(labels)), zero_division=0)
            metrics["test_per_genre"] = {
                genre: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
                        "clips": int(s)}
                for genre, p, r, f, s in zip(labels, precision, recall, f1, support)
            }
    errors, curve = calibrate(temperature, *test)
    metrics["calibration"] = {"temperature": round(temperature, 4), "fitted_on": fitted_on} | errors
    write_csv(curve, out_dir / "reliability.csv")
    if crossval is not None:
        metrics["crossval"] = {k: v for k, v in read_json(crossval).items() if k != "per_fold"}
    predictions = pd.concat(predictions, ignore_index=True)
    write_csv(predictions, out_dir / "predictions.csv")
    write_csv(predictions.loc[predictions["split"] == "test", ["actual", "predicted"]], out_dir / "confusion.csv")
    write_json(metrics, out_dir / "metrics.json")
    return metrics
