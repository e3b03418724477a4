"""Classifying songs with an exported model: windows over the whole song, one verdict per track.

Uses only the export folder (model.tflite + spec.json) and the LiteRT interpreter, so
it never imports TensorFlow. The silence rule and front end come from spec.json: the
same as in training.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spectrogenre.audio_io import (
    NO_LIMITS,
    DecodeLimits,
    is_audio_file,
    read_mono,
    stream_mono,
)
from spectrogenre.calibration import apply_temperature
from spectrogenre.clip import cut_clips
from spectrogenre.errors import AudioError, SpectrogenreError
from spectrogenre.frontend import Frontend, log_spectrogram, quantise_16bit, to_int16_steps
from spectrogenre.litert import ModelPool
from spectrogenre.params import ExportParams, TrimParams
from spectrogenre.steady import SteadyNoiseRule, is_noise
from spectrogenre.trim import frame_levels_db, kept_intervals, sound_fraction
from spectrogenre.verdicts import NO_MUSIC, UNSURE, is_sure, reported

PREDICT_BATCH = 8  # windows per model call: memory is a few batches, whatever the song's length


def release_memory() -> None:
    """Give the heap's free pages back to the system (glibc keeps them otherwise, fragmented between the
    windows' large arrays: without it a long song's resident size climbs for its first few hundred windows)."""
    if _libc is not None:
        _libc.malloc_trim(0)


try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _libc.malloc_trim  # noqa: B018  glibc only
except (OSError, AttributeError):
    _libc = None


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
    hop_seconds: float
    short_tolerance_s: float
    min_sound_fraction: float
    kind: str
    version: str
    model: ModelPool = field(compare=False, repr=False)
    model_path: Path = Path()
    steady_noise: SteadyNoiseRule = field(default_factory=SteadyNoiseRule)

    @classmethod
    def load(cls, path: Path, *, copies: int = 1) -> ExportedModel:
        """From an export folder (spec.json + model.tflite) or a .tflite file with spec.json beside it;
        `copies` interpreters, for as many threads classifying at once."""
        path = Path(path)
        if not path.exists():
            raise SpectrogenreError(f"model {path} does not exist: run `dvc repro` first, or point --model at an export")
        folder, model_file = (path, None) if path.is_dir() else (path.parent, path)
        if path.suffix.lower() == ".json":  # the export's spec.json given for the export: its folder is meant
            folder, model_file = path.parent, None
        spec_path = folder / "spec.json"
        if not spec_path.exists():
            raise SpectrogenreError(f"no spec.json in {folder}: run `dvc repro` first, or point --model at an export")
        try:
            spec = json.loads(spec_path.read_text())
            model_file = model_file or folder / spec["models"]["float"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise SpectrogenreError(f"{spec_path} cannot be read ({type(err).__name__}: {err}): export it again "
                                    f"with `dvc repro export`") from err
        if not model_file.exists():
            raise SpectrogenreError(f"model file {model_file} not found")
        if "verdict" not in spec or "windows" not in spec:
            raise SpectrogenreError(f"{spec_path} comes from an older export (no verdict or window rule): run "
                                    f"`dvc repro export`")
        try:
            frontend = Frontend.from_spec(spec["frontend"])
            rules = {"labels": tuple(spec["labels"]), "frontend": frontend, "silence": TrimParams(**spec["silence"]),
                     "unsure_below": float(spec["verdict"]["unsure_below"]),
                     "temperature": float(spec["verdict"]["temperature"]),
                     "hop_seconds": float(spec["windows"]["hop_seconds"]),
                     "short_tolerance_s": float(spec["windows"]["short_tolerance_s"]),
                     # an export from before the rule: its default (mostly silence never gets a genre)
                     "min_sound_fraction": float(spec["windows"].get("min_sound_fraction",
                                                                     ExportParams.min_sound_fraction)),
                     "kind": spec["kind"], "version": spec["version"],
                     # an export from before the rule: the rule's defaults (noise never gets a genre)
                     "steady_noise": SteadyNoiseRule(**spec.get("steady_noise", {}))}
        except (ValueError, KeyError, TypeError) as err:
            raise SpectrogenreError(f"{spec_path} is not a spectrogenre export ({type(err).__name__}: {err}): export "
                                    f"it again with `dvc repro export`") from err
        try:
            model = ModelPool(model_file, copies=copies)
        except (OSError, ValueError, RuntimeError) as err:
            raise SpectrogenreError(f"{model_file} is not a TFLite model LiteRT can load ({err}): export it again "
                                    f"with `dvc repro export`") from err
        check_pair(model, rules["labels"], rules["frontend"], model_file=model_file, spec_path=spec_path)
        return cls(**rules, model=model, model_path=model_file)


def check_pair(model, labels: tuple[str, ...], frontend: Frontend, *, model_file: Path, spec_path: Path) -> None:
    """Refuse a model that does not fit spec.json (a .tflite given beside another export's spec): more genres than
    labels would be read with the labels there are, and another front end's model fails on every window."""
    advice = "the model and spec.json come from different exports: use one export's folder"
    if model.genres != len(labels):
        raise SpectrogenreError(f"{model_file} gives {model.genres} genres' probabilities, but its spec.json names "
                                f"{len(labels)} ({', '.join(labels)}): {advice}")
    if tuple(model.input_shape) != tuple(frontend.shape):
        raise SpectrogenreError(f"{model_file} takes spectrograms of {' x '.join(map(str, model.input_shape))}, but "
                                f"{spec_path}'s front end makes {' x '.join(map(str, frontend.shape))}: {advice}")


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
    windows: list[dict]  # start_s, end_s, genre (UNSURE below the threshold, NO_MUSIC for a quiet window),
    #                      confidence and best_guess (None for a quiet window)

    @property
    def shown(self) -> str:
        """What a person is told: the genre, "unsure" or "no music heard"."""
        return self.genre if self.status == "genre" else self.status

    def top(self, k: int) -> list[tuple[str, float]]:
        return sorted(self.probabilities.items(), key=lambda item: -item[1])[:k]


class SpooledAudio:
    """A decoded song at the front end's rate, in 16-bit steps (as decode gives it), appended block by block
    into a temporary file as int16, with the silence rule's frame levels: windows are read back from
    the file, so memory holds a few windows, whatever the song's length."""

    def __init__(self, *, frame_length: int):
        self.file = tempfile.TemporaryFile()
        self.frame_length, self.n_samples = frame_length, 0
        self._levels: list[np.ndarray] = []
        self._partial = np.zeros(0, dtype=np.float32)

    def __enter__(self) -> SpooledAudio:
        return self

    def __exit__(self, *exc) -> None:
        self.file.close()
        release_memory()  # the song's work is over, whether it succeeded or not

    def append(self, block: np.ndarray) -> None:
        steps = to_int16_steps(block)
        self.file.write(steps.tobytes())
        self.n_samples += len(steps)
        frames = np.concatenate([self._partial, steps / np.float32(32768.0)])
        whole = len(frames) // self.frame_length * self.frame_length
        if whole:
            self._levels.append(frame_levels_db(frames[:whole], frame_length=self.frame_length))
        self._partial = frames[whole:]

    def levels_db(self) -> np.ndarray:
        """Each frame's level (frame_levels_db of the whole song, the last frame possibly shorter)."""
        tail = [frame_levels_db(self._partial, frame_length=self.frame_length)] if len(self._partial) else []
        return np.concatenate([np.zeros(0), *self._levels, *tail])

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) as float32; zeros past the end (a short recording's padding)."""
        self.file.seek(2 * min(start, self.n_samples))
        data = np.frombuffer(self.file.read(2 * max(0, min(stop, self.n_samples) - start)), dtype=np.int16)
        return np.pad(data / np.float32(32768.0), (0, stop - start - len(data)))


def plan_windows(levels_db: np.ndarray, *, n_samples: int, frontend: Frontend, silence: TrimParams,
                 hop_seconds: float, short_tolerance_s: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """Clip-length windows of a song after the training silence rule, from its frame levels.

    Returns (bounds (n, 2): each window's first and last second in the song, parts: each
    window's sample intervals in the song, past its end for a just-short song's padding); a
    window can span a cut silence. A song up to `short_tolerance_s` shorter than a window is
    padded (a phone's 15 s recording often comes out a few hundred ms short); a shorter one
    raises ValueError.
    """
    sr, clip = frontend.sample_rate, frontend.clip_samples
    segments = np.array([[0, n_samples]], dtype=np.int64)
    if silence.enabled:
        segments = kept_intervals(levels_db, n_samples=n_samples, frame_length=silence.frame_length(sr),
                                  threshold_db=silence.threshold_db,
                                  min_silence_samples=silence.min_silence_samples(sr))
    kept = int((segments[:, 1] - segments[:, 0]).sum())
    if kept < clip:
        # Too little non-silent audio for one window: use the song as it is, padded if just short.
        if n_samples < clip - short_tolerance_s * sr:
            raise ValueError(f"too short: {n_samples / sr:.1f} s of audio "
                             f"({kept / sr:.1f} s once silences are cut), needs at least "
                             f"{frontend.clip_seconds - short_tolerance_s:g} s")
        segments = np.array([[0, max(n_samples, clip)]], dtype=np.int64)
    parts = cut_clips(segments, clip_samples=clip, hop_samples=max(1, int(round(hop_seconds * sr))))
    bounds = np.array([[p[0, 0], p[-1, 1]] for p in parts]) / sr
    return bounds, parts


def windows(audio: np.ndarray, *, frontend: Frontend, silence: TrimParams, hop_seconds: float,
            short_tolerance_s: float):
    """(bounds (n, 2), clips (n, clip_samples)): plan_windows' windows of an in-memory song, cut from it."""
    bounds, parts = plan_windows(frame_levels_db(audio, frame_length=silence.frame_length(frontend.sample_rate)),
                                 n_samples=len(audio), frontend=frontend, silence=silence, hop_seconds=hop_seconds,
                                 short_tolerance_s=short_tolerance_s)
    padded = np.pad(audio, (0, max(0, frontend.clip_samples - len(audio))))
    return bounds, np.stack([np.concatenate([padded[s:e] for s, e in p]) for p in parts])


def is_music(clip: np.ndarray, exported: ExportedModel) -> bool:
    """Whether a window (mono float32 at the front end's rate, as recorded) is classified.

    Not when its RMS level is below the silence rule's threshold (silence, or near-silence
    the rule could not cut because it is all there is); nor when it is mostly silence: less
    than the export's `min_sound_fraction` of it is what the silence rule keeps (a few seconds
    of music in a silent recording: with less than a window left once silences are cut, the
    window is the recording as it is, and the model never trained on such a window); nor when
    the noise rules call it noise (steady.py: hiss, hum, room tone at any level; crackle,
    clicks, bursts: sound with no pitch).
    """
    silence, sample_rate = exported.silence, exported.frontend.sample_rate
    return bool(frame_levels_db(clip, frame_length=len(clip))[0] >= silence.threshold_db
                and sound_fraction(clip, silence, sample_rate) >= exported.min_sound_fraction
                and not is_noise(clip, sample_rate, exported.steady_noise))


def classify(audio: np.ndarray, exported: ExportedModel, *, hop_seconds: float | None = None,
             unsure_below: float | None = None) -> Verdict:
    """Verdict for one song (mono float32 at the front end's rate); see classify_blocks."""
    return classify_blocks([audio], exported, hop_seconds=hop_seconds, unsure_below=unsure_below)


def classify_file(path: Path, exported: ExportedModel, *, hop_seconds: float | None = None,
                  unsure_below: float | None = None, limits: DecodeLimits = NO_LIMITS) -> Verdict:
    """Verdict for one file, decoded as a stream within `limits` (AudioError for any problem with it)."""
    # closed however classification ends: a decoder stopped part way (an ffmpeg process) ends with it
    with contextlib.closing(stream_mono(path, sample_rate=exported.frontend.sample_rate, limits=limits)) as blocks:
        try:
            return classify_blocks(blocks, exported, hop_seconds=hop_seconds, unsure_below=unsure_below,
                                   between_batches=lambda: limits.check_time(path))
        except ValueError as err:
            raise AudioError(path, str(err)) from None


def classify_blocks(blocks: Iterable[np.ndarray], exported: ExportedModel, *, hop_seconds: float | None = None,
                    unsure_below: float | None = None, between_batches: Callable[[], None] = lambda: None) -> Verdict:
    """Verdict for one song given as blocks of mono float32 at the front end's rate, at flat memory.

    Each window's probabilities are calibrated by the export's temperature, then averaged.
    A window that is_music rejects (silence, near-silence, mostly silence, steady noise) is
    not classified; with no other window the verdict is NO_MUSIC. Below `unsure_below`
    (default: the export's) the verdict is UNSURE. Windows start every `hop_seconds` (default: the export's).
    `between_batches` runs before each batch of windows (a time limit).
    """
    frontend, silence = exported.frontend, exported.silence
    with SpooledAudio(frame_length=silence.frame_length(frontend.sample_rate)) as audio:
        for block in blocks:
            audio.append(block)
        bounds, parts = plan_windows(audio.levels_db(), n_samples=audio.n_samples, frontend=frontend,
                                     silence=silence, hop_seconds=hop_seconds or exported.hop_seconds,
                                     short_tolerance_s=exported.short_tolerance_s)
        heard, probs = [], []
        for first in range(0, len(parts), PREDICT_BATCH):
            between_batches()
            release_memory()
            clips = np.stack([np.concatenate([audio.read(s, e) for s, e in p]) for p in parts[first: first + PREDICT_BATCH]])
            music = np.array([is_music(clip, exported) for clip in clips], dtype=bool)
            heard.append(music)
            if music.any():
                probs.append(exported.model.predict(log_spectrogram(clips[music], frontend)))
    heard = np.concatenate(heard)
    probs = apply_temperature(np.concatenate(probs), exported.temperature) if probs else np.zeros((0, len(exported.labels)))
    threshold = exported.unsure_below if unsure_below is None else unsure_below
    window_probs = iter(probs)
    timeline = []
    for (start, end), sound in zip(bounds, heard):
        p = next(window_probs) if sound else None
        guess = exported.labels[int(p.argmax())] if sound else None
        # a window is judged by the track's rule: below the threshold it is unsure, its best guess kept beside
        timeline.append({"start_s": round(float(start), 2), "end_s": round(float(end), 2),
                         "genre": NO_MUSIC if not sound else guess if is_sure(p.max(), threshold) else UNSURE,
                         "confidence": reported(p.max()) if sound else None, "best_guess": guess})
    if not len(probs):
        return Verdict(status=NO_MUSIC, genre=None, confidence=0.0, probabilities={}, windows=timeline)
    mean = probs.mean(axis=0)
    best = int(mean.argmax())
    return Verdict(status="genre" if is_sure(mean[best], threshold) else UNSURE, genre=exported.labels[best],
                   confidence=float(mean[best]), probabilities={g: float(v) for g, v in zip(exported.labels, mean)},
                   windows=timeline)
