"""The front end: one definition of how audio becomes the model's input.

Training, `predict`, the server and the phone all read this definition (the export
stage writes it next to the model), so the spectrogram is never re-implemented with
different settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import librosa
import numpy as np
import scipy.fft

from spectrogenre.errors import ParamsError

KINDS = ("stft", "mel", "musicnn")
# musicnn's input (Pons and Serra, 2019): its pretrained weights only fit these settings.
# musicnn's log-mel, log10(10000 mel + 1), compresses quiet and loud recordings differently: 12 dB quieter
# changed a fifth of its genre verdicts on real music (bench/level_sensitivity.json). Normalised windows
# are as accurate and keep their verdicts at any level.
MUSICNN_NORMALISE_DBFS = -26.0
MAX_GAIN_DB = 40.0  # normalise_dbfs lifts a clip by at most this: a near-silent clip stays quiet
# The mel bands of kinds mel and musicnn: librosa.filters.mel's defaults, which log_spectrogram and
# js/spectrogram.js use; spec.json carries this, as a native app must build them itself
MEL_FILTERBANK = {"of": "power spectrum |X|^2", "scale": "slaney", "norm": "slaney (each band of unit area)",
                  "fmin_hz": 0.0, "fmax_hz": "sample_rate / 2"}
# spec.json's front-end keys that Frontend.spec_dict derives from the settings, for apps to read
SPEC_DERIVED = ("shape", "mel_filterbank")
MUSICNN = {"sample_rate": 16000, "n_fft": 512, "hop_length": 256, "n_mels": 96}


@dataclass(frozen=True)
class Frontend:
    """Sample rate, clip length and spectrogram settings.

    The default is the seed's 279 x 271 log spectrogram: a 15 s clip at 22050 Hz,
    STFT with n_fft 556 and hop 1221 (Hann window, centred, zero padded), magnitude
    in dB re 1.0 with a floor of `amin`. The seed's other candidate is n_fft 1114,
    hop 610 (558 x 543). kind "mel" maps the power spectrum to `n_mels` bands (dB).
    kind "musicnn" is musicnn's log-mel, log10(10000 mel + 1) of 96 bands at 16 kHz
    (n_fft 512, hop 256): a 15 s clip is 96 x 938; it fixes the settings in MUSICNN.
    normalise_dbfs: each clip's mean (a DC offset) is first taken out and the clip scaled to this RMS level
    (dBFS; gain at most MAX_GAIN_DB), so that a quiet recording looks like a loud one; None leaves the
    clip as recorded, offset included.
    """

    sample_rate: int = 22050
    clip_seconds: float = 15.0
    kind: str = "stft"
    n_fft: int = 556
    hop_length: int = 1221
    n_mels: int = 128
    amin: float = 1e-5
    normalise_dbfs: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ParamsError(f"frontend.kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "musicnn" and any(getattr(self, k) != v for k, v in MUSICNN.items()):
            raise ParamsError(f"frontend.kind musicnn needs {MUSICNN} (its pretrained weights' input), got "
                              f"{ {k: getattr(self, k) for k in MUSICNN} }")
        for name in ("sample_rate", "n_fft", "hop_length", "n_mels"):
            if getattr(self, name) <= 0:
                raise ParamsError(f"frontend.{name} must be positive, got {getattr(self, name)}")
        if self.clip_seconds * self.sample_rate < self.n_fft:
            raise ParamsError("frontend.clip_seconds is shorter than one FFT window")
        if not 0 < self.amin < 1:
            raise ParamsError(f"frontend.amin must be in (0, 1), got {self.amin}")
        if self.normalise_dbfs is not None and not -60 <= self.normalise_dbfs <= 0:
            raise ParamsError(f"frontend.normalise_dbfs must be null or in [-60, 0] dBFS, got {self.normalise_dbfs}")

    @classmethod
    def musicnn(cls, *, clip_seconds: float = 15.0, normalise_dbfs: float | None = MUSICNN_NORMALISE_DBFS) -> "Frontend":
        """musicnn's front end for clips of `clip_seconds`, each clip normalised to `normalise_dbfs` RMS."""
        return cls(kind="musicnn", clip_seconds=clip_seconds, normalise_dbfs=normalise_dbfs, **MUSICNN)

    @property
    def clip_samples(self) -> int:
        return int(round(self.clip_seconds * self.sample_rate))

    @property
    def n_bins(self) -> int:
        return self.n_fft // 2 + 1 if self.kind == "stft" else self.n_mels

    @property
    def n_frames(self) -> int:
        return 1 + self.clip_samples // self.hop_length

    @property
    def shape(self) -> tuple[int, int]:
        """(frequency bins, time frames) of one clip's spectrogram."""
        return (self.n_bins, self.n_frames)

    def to_dict(self) -> dict:
        return asdict(self)

    def spec_dict(self) -> dict:
        """spec.json's front end: the settings, and what follows from them that a native app cannot
        compute without librosa (the spectrogram's shape, how the mel bands are built)."""
        derived = {"shape": list(self.shape)}
        if self.kind in ("mel", "musicnn"):
            derived["mel_filterbank"] = MEL_FILTERBANK
        return self.to_dict() | derived

    @classmethod
    def from_spec(cls, values: dict) -> "Frontend":
        """The front end spec_dict wrote, read past the keys it derived."""
        return cls.from_dict({k: v for k, v in values.items() if k not in SPEC_DERIVED})

    @classmethod
    def from_dict(cls, values: dict) -> "Frontend":
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ParamsError(f"unknown front-end keys: {sorted(unknown)}; known: {sorted(known)}")
        return cls(**values)


def to_int16_steps(audio: np.ndarray) -> np.ndarray:
    """Float audio (n,) in [-1, 1] as int16 steps, rounded as libsndfile's PCM_16 write does (clipped first)."""
    return np.clip(np.rint(np.clip(audio, -1.0, 1.0) * 32768.0), -32768, 32767).astype(np.int16)


def quantise_16bit(audio: np.ndarray) -> np.ndarray:
    """Round float audio (n,) to 16-bit steps exactly as libsndfile's PCM_16 write-then-read does.

    Training reads the concatenated genre tracks back from 16-bit FLAC, so every inference
    path quantises the same way; otherwise empty spectrogram bins sit at the -100 dB
    floor at inference but at the ~-80 dB quantisation noise in training.
    """
    return (to_int16_steps(audio) / 32768.0).astype(np.float32)


def hann_window(n: int) -> np.ndarray:
    """The periodic Hann window of n points, float64: scipy's get_window("hann", n), bit for bit.

    Sampled on the same grid scipy uses, so the spectrogram stays librosa's bit for bit
    without importing scipy.signal (about 1 s of `predict`'s start).
    """
    return 0.5 + 0.5 * np.cos(np.linspace(-np.pi, np.pi, n + 1))[:n]


def stft_magnitude(clips: np.ndarray, frontend: Frontend) -> np.ndarray:
    """|STFT| of clips (..., clip_samples): float32 (..., n_bins, n_frames) for kind stft.

    The same numbers as np.abs(librosa.stft(clips, n_fft, hop_length, window="hann", center=True)),
    bit for bit (same window, zero padding, scipy FFT in float64, complex64 result), without
    librosa's imports on first use (about a second) and about 3x faster.
    """
    window = hann_window(frontend.n_fft)
    pad = frontend.n_fft // 2
    padded = np.pad(clips, [(0, 0)] * (clips.ndim - 1) + [(pad, pad)])
    frames = np.lib.stride_tricks.sliding_window_view(padded, frontend.n_fft, axis=-1)[..., ::frontend.hop_length, :]
    spectrum = scipy.fft.rfft(frames * window, axis=-1).astype(np.complex64)
    return np.abs(spectrum).swapaxes(-1, -2)


def normalised(clips: np.ndarray, dbfs: float) -> np.ndarray:
    """Each clip (..., samples) float32, its mean taken out, scaled to `dbfs` RMS, the gain at most MAX_GAIN_DB
    (silence, and a constant offset alone, stay silent).

    A constant offset (DC, from a faulty converter or a badly edited file) is not sound, nor music's level:
    counted in the RMS, an offset of 0.6 under music at -30 dBFS made the gain 25 dB too small. It is taken
    out of the signal too, not only of the RMS: left in, scaled by the gain, it fills the lowest mel bands
    (the Hann window's DC leakage reaches FFT bins 0 and 1) and, where the centred STFT's zero padding meets
    it, every band of the first and last frames; on musicnn's log-mel, +0.1 under music at -31 dBFS moved
    those values by up to 5.3. The same reason the silence rule measures frames about their mean (trim.py).

    The mean, RMS and gain are float64, each sample's (x - mean) x gain rounded once to float32:
    js/spectrogram.js does the same.
    """
    samples = clips.astype(np.float64)
    centred = samples - samples.mean(axis=-1, keepdims=True)
    rms = np.sqrt(np.mean(np.square(centred), axis=-1, keepdims=True))
    gain = np.minimum(10.0 ** (dbfs / 20.0) / np.maximum(rms, 1e-300), 10.0 ** (MAX_GAIN_DB / 20.0))
    return (centred * gain).astype(np.float32)


def log_spectrogram(clips: np.ndarray, frontend: Frontend) -> np.ndarray:
    """Log spectrogram in dB of one clip (clip_samples,) or a batch (n, clip_samples).

    Returns float32 of shape frontend.shape, or (n, *frontend.shape) for a batch.
    """
    clips = np.asarray(clips, dtype=np.float32)
    if clips.shape[-1] != frontend.clip_samples:
        raise ValueError(f"expected clips of {frontend.clip_samples} samples, got shape {clips.shape}")
    if frontend.normalise_dbfs is not None:
        clips = normalised(clips, frontend.normalise_dbfs)
    magnitude = stft_magnitude(clips, frontend)
    if frontend.kind == "stft":
        # librosa.amplitude_to_db(magnitude, ref=1.0, amin=amin, top_db=None), the same operations
        db = 10.0 * np.log10(np.maximum(frontend.amin**2, np.square(magnitude)))
    elif frontend.kind == "mel":
        mel = librosa.feature.melspectrogram(
            S=magnitude**2, sr=frontend.sample_rate, n_fft=frontend.n_fft, n_mels=frontend.n_mels
        )
        db = librosa.power_to_db(mel, ref=1.0, amin=frontend.amin**2, top_db=None)
    else:  # musicnn: librosa's Slaney mel of the power spectrum, compressed in float32 (not musicnn's float16)
        mel = librosa.feature.melspectrogram(
            S=magnitude**2, sr=frontend.sample_rate, n_fft=frontend.n_fft, n_mels=frontend.n_mels
        )
        db = np.log10(10000 * mel + 1, dtype=np.float32)
    return np.ascontiguousarray(db, dtype=np.float32)
