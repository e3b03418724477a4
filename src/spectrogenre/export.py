"""Stage `export`: TFLite models (float and dynamic-range quantised) and the spec inference reads.

spec.json holds the labels, the front end, the silence and steady-noise rules, the windows (hop, short-file
tolerance), the verdict rule (when a track is "unsure"), the model kind, the evaluation
figures and the export's version: everything an inference path (predict, the server, a
phone) needs besides the model file, and the one place each of those values lives.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from spectrogenre.chunks import iter_batches
from spectrogenre.errors import SpectrogenreError
from spectrogenre.files import atomic_path, fresh_dir, read_json, write_json
from spectrogenre.frontend import Frontend
from spectrogenre.litert import TFLiteModel
from spectrogenre.model import CLIPS_PER_PASS, load_classifier
from spectrogenre.params import ExportParams, TrimParams
from spectrogenre.quiet import native_stderr_silenced, stdout_silenced
from spectrogenre.resampler import RESAMPLER
from spectrogenre.steady import SteadyNoiseRule

FLOAT_MODEL = "model.tflite"
QUANTISED_MODEL = "model_dynamic_range.tflite"
SPEC = "spec.json"


def to_tflite(model: keras.Model, *, quantise: bool) -> bytes:
    """The Keras model as a TFLite flatbuffer; `quantise` stores weights as int8 (dynamic range)."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantise:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    with stdout_silenced(), native_stderr_silenced():  # the converter prints every captured tensor, and logs
        return converter.convert()


def parity(model: keras.Model, tflite: TFLiteModel, paths: list[Path], *, max_clips: int = 256) -> dict:
    """Max absolute difference of probabilities and argmax agreement, Keras vs TFLite, on up to max_clips."""
    worst, agree, seen = 0.0, 0, 0
    for x, _, _ in iter_batches(paths, batch_size=CLIPS_PER_PASS):
        x = x[: max_clips - seen]
        expected, actual = model.predict_on_batch(x), tflite.predict(x)
        worst = max(worst, float(np.abs(expected - actual).max()))
        agree += int((expected.argmax(axis=1) == actual.argmax(axis=1)).sum())
        seen += len(x)
        if seen >= max_clips:
            break
    return {"clips": seen, "max_abs_diff": worst, "argmax_agreement": agree / max(seen, 1)}


def export_model(model_path: Path, features_dir: Path, metrics_path: Path, out_dir: Path, *, frontend: Frontend,
                 trim: TrimParams, export: ExportParams, kind: str, convert=to_tflite) -> dict:
    """Write both TFLite files, spec.json and report.json (parity, sizes); fail if the float model drifts past tolerance.

    convert(model, quantise=...) -> bytes: the model kind's export (kinds.ModelKind.export).
    """
    out_dir = fresh_dir(out_dir)
    dataset = read_json(features_dir / "dataset.json")
    model = load_classifier(model_path)
    for name, quantise in ((FLOAT_MODEL, False), (QUANTISED_MODEL, True)):
        with atomic_path(out_dir / name) as tmp:
            tmp.write_bytes(convert(model, quantise=quantise))
    test_paths = [features_dir / name for name in dataset["chunks"]["test"]]
    report = {name: parity(model, TFLiteModel(out_dir / name), test_paths) for name in (FLOAT_MODEL, QUANTISED_MODEL)}
    tolerance = export.tolerance
    report["tolerance"] = tolerance
    report["bytes"] = {name: (out_dir / name).stat().st_size for name in (FLOAT_MODEL, QUANTISED_MODEL)}
    write_json(report, out_dir / "report.json")
    if report[FLOAT_MODEL]["max_abs_diff"] > tolerance:
        raise SpectrogenreError(
            f"float TFLite model differs from Keras by {report[FLOAT_MODEL]['max_abs_diff']:.2e} > {tolerance:.0e}")
    evaluation = read_json(metrics_path)
    spec = {
        "labels": dataset["labels"],
        "frontend": frontend.spec_dict(),
        "resampler": RESAMPLER,
        "silence": asdict(trim),
        "steady_noise": asdict(SteadyNoiseRule(below_db=export.steady_noise_below_db,
                                               tonal_below=export.tonal_noise_below,
                                               rich_below=export.rich_noise_below)),
        "verdict": {"unsure_below": export.unsure_below, "temperature": evaluation["calibration"]["temperature"]},
        "windows": {"hop_seconds": export.hop_seconds, "short_tolerance_s": export.short_tolerance_s,
                    "min_sound_fraction": export.min_sound_fraction},
        "kind": kind,
        "input": {"name": "log_spectrogram", "index": 0, "shape": ["batch", *frontend.shape], "dtype": "float32",
                  "unit": "log10(10000 mel + 1)" if frontend.kind == "musicnn" else "dB"},
        "output": {"name": "genre", "index": 0, "shape": ["batch", len(dataset["labels"])], "meaning": "softmax probabilities"},
        "models": {"float": FLOAT_MODEL, "dynamic_range": QUANTISED_MODEL},
        "evaluation": evaluation,
    }
    # The export's identity: its model bytes and everything above, so an app never pairs a model with
    # another export's spec (the app's cache is keyed by it).
    content = hashlib.sha256((out_dir / FLOAT_MODEL).read_bytes())
    content.update(json.dumps(spec, sort_keys=True).encode())
    spec["version"] = content.hexdigest()[:12]
    write_json(spec, out_dir / SPEC)
    return report
