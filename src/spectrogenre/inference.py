"""Classifying songs with an exported model: windows over the whole song, one verdict per track.

Uses only the export folder (model.tflite + spec.json) and the LiteRT interpreter, so
it never imports TensorFlow. The silence rule and front end come from spec.json: the
same as in training.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spectrogenre.audio_io import is_audio_file, read_mono
from spectrogenre.calibration import apply_temperature
from spectrogenre.clip import cut_clips
from spectrogenre.errors import SpectrogenreError
from spectrogenre.frontend import Frontend, log_spectrogram, quantise_16bit
from spectrogenre.litert import TFLiteModel
from spectrogenre.params import TrimParams
from spectrogenre.trim import frame_levels_db, kept_intervals
from spectrogenre.verdicts import NO_MUSIC, UNSURE

PREDICT_BATCH = 16
# A recording this much shorter than a clip is padded with silence rather than refused
# (a phone's 15 s recording often comes out a few hundred ms short).
SHORT_TOLERANCE_S = 1.0


def can_predict(path: Path) -> bool:
    return is_audio_file(path)


def decode(path: Path, *, sample_rate: int, timeout_s: float | None = None) -> np.ndarray:
    """Mono float32 (n,) at sample_rate, in 16-bit steps as training sees it (see quantise_16bit).

    The pipeline's own decoder: any format a library may hold, ffmpeg's through ffmpeg.
    """
    return quantise_16bit(read_mono(Path(path), sample_rate=sample_rate, timeout_s=timeout_s))


@dataclass(frozen=True)
class ExportedModel:
    """An export folder's model and spec."""

    labels: tuple[str, ...]
    frontend: Frontend
    silence: TrimParams
    unsure_below: float
    temperature: float
    model: TFLiteModel = field(compare=False, repr=False)
    model_path: Path = Path()

    @classmethod
    def load(cls, path: Path) -> "ExportedModel":
        """From an export folder (spec.json + model.tflite) or a .tflite file with spec.json beside it."""
        path = Path(path)
        folder, model_file = (path, None) if path.is_dir() else (path.parent, path)
        spec_path = folder / "spec.json"
        if not spec_path.exists():
            raise SpectrogenreError(f"no spec.json in {folder}: run `dvc repro` first, or point --model at an export")
        spec = json.loads(spec_path.read_text())
        model_file = model_file or folder / spec["models"]["float"]
        if not model_file.exists():
            raise SpectrogenreError(f"model file {model_file} not found")
        if "verdict" not in spec:
            raise SpectrogenreError(f"{spec_path} comes from an older export without the verdict rule: run "
                                    f"`dvc repro export`")
        frontend = Frontend.from_dict({k: v for k, v in spec["frontend"].items() if k != "shape"})
        return cls(labels=tuple(spec["labels"]), frontend=frontend, silence=TrimParams(**spec["silence"]),
                   unsure_below=float(spec["verdict"]["unsure_below"]),
                   temperature=float(spec["verdict"]["temperature"]), model=TFLiteModel(model_file),
                   model_path=model_file)


@dataclass(frozen=True)
class Verdict:
    """One track's result: mean probabilities over the windows that hold sound, and each window's own.

    status: "genre" (confident), UNSURE (best genre below the threshold) or NO_MUSIC (every
    window near-silent: then genre is None and probabilities are empty).
    """

    status: str
    genre: str | None
    confidence: float
    probabilities: dict[str, float]
    windows: list[dict]  # start_s, end_s, genre (NO_MUSIC for a quiet window), confidence (None for one)

    @property
    def shown(self) -> str:
        """What a person is told: the genre, "unsure" or "no music heard"."""
        return self.genre if self.status == "genre" else self.status

    def top(self, k: int) -> list[tuple[str, float]]:
        return sorted(self.probabilities.items(), key=lambda item: -item[1])[:k]


def windows(audio: np.ndarray, *, frontend: Frontend, silence: TrimParams, hop_seconds: float):
    """Clip-length windows of a song after the training silence rule.

    Returns (bounds (n, 2): each window's first and last second in the song, clips
    (n, clip_samples)); a window can span a cut silence. Raises ValueError when the
    song is too short for one window even with padding.
    """
    sr, clip = frontend.sample_rate, frontend.clip_samples
    segments = np.array([[0, len(audio)]], dtype=np.int64)
    if silence.enabled:
        frame = silence.frame_length(sr)
        segments = kept_intervals(frame_levels_db(audio, frame_length=frame), n_samples=len(audio),
                                  frame_length=frame, threshold_db=silence.threshold_db,
                                  min_silence_samples=silence.min_silence_samples(sr))
    kept = int((segments[:, 1] - segments[:, 0]).sum())
    if kept < clip:
        # Too little non-silent audio for one window: use the song as it is, padded if just short.
        if len(audio) < clip - SHORT_TOLERANCE_S * sr:
            raise ValueError(f"too short: {len(audio) / sr:.1f} s of audio "
                             f"({kept / sr:.1f} s once silences are cut), needs {frontend.clip_seconds:g} s")
        audio = np.pad(audio, (0, max(0, clip - len(audio))))
        segments = np.array([[0, len(audio)]], dtype=np.int64)
    parts = cut_clips(segments, clip_samples=clip, hop_samples=max(1, int(round(hop_seconds * sr))))
    bounds = np.array([[p[0, 0], p[-1, 1]] for p in parts]) / sr
    clips = np.stack([np.concatenate([audio[s:e] for s, e in p]) for p in parts])
    return bounds, clips


def classify(audio: np.ndarray, exported: ExportedModel, *, hop_seconds: float,
             unsure_below: float | None = None) -> Verdict:
    """Verdict for one song (mono float32 at the front end's rate).

    Each window's probabilities are calibrated by the export's temperature, then averaged.
    A window whose RMS level is below the silence rule's threshold (silence, near-silence
    that the rule could not cut because it is all there is) is not classified; with no
    other window the verdict is NO_MUSIC. Below `unsure_below` (default: the export's)
    the verdict is UNSURE.
    """
    frontend = exported.frontend
    bounds, clips = windows(audio, frontend=frontend, silence=exported.silence, hop_seconds=hop_seconds)
    # each window's RMS level: the silence rule's frame level, one frame per window
    heard = frame_levels_db(clips.reshape(-1), frame_length=clips.shape[1]) >= exported.silence.threshold_db
    heard_clips = clips[heard]
    probs = apply_temperature(np.concatenate([
        exported.model.predict(log_spectrogram(heard_clips[i: i + PREDICT_BATCH], frontend))
        for i in range(0, len(heard_clips), PREDICT_BATCH)
    ]), exported.temperature) if len(heard_clips) else np.zeros((0, len(exported.labels)))
    window_probs = iter(probs)
    timeline = []
    for (start, end), sound in zip(bounds, heard):
        p = next(window_probs) if sound else None
        timeline.append({"start_s": round(float(start), 2), "end_s": round(float(end), 2),
                         "genre": exported.labels[int(p.argmax())] if sound else NO_MUSIC,
                         "confidence": round(float(p.max()), 4) if sound else None})
    if not len(probs):
        return Verdict(status=NO_MUSIC, genre=None, confidence=0.0, probabilities={}, windows=timeline)
    mean = probs.mean(axis=0)
    best = int(mean.argmax())
    threshold = exported.unsure_below if unsure_below is None else unsure_below
    return Verdict(status="genre" if mean[best] >= threshold else UNSURE, genre=exported.labels[best],
                   confidence=float(mean[best]), probabilities={g: float(v) for g, v in zip(exported.labels, mean)},
                   windows=timeline)
