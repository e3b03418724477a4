"""musicnn's front end: 16 kHz mono audio -> 96-band log-mel -> 3 s patches.

The settings are those the pretrained checkpoints were trained with (musicnn's
configuration and extractor); any change makes the weights see a different input.
"""

from __future__ import annotations

import librosa
import numpy as np

SAMPLE_RATE = 16000
N_FFT = 512
HOP_LENGTH = 256
N_MELS = 96
# 3 s: librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1, as musicnn's extractor counts.
PATCH_FRAMES = 187
MIN_SAMPLES = (PATCH_FRAMES - 1) * HOP_LENGTH  # a centred STFT gives 1 + n // hop frames


def log_mel(audio_16k: np.ndarray) -> np.ndarray:
    """log10(10000 mel + 1) of mono 16 kHz audio (n,): float32 (frames, 96), frames = 1 + n // 256.

    librosa's defaults otherwise (power 2, Slaney mel, centred Hann STFT). musicnn casts
    the mel power to float16 first, so 10000 x overflows to inf wherever x > 6.55 (loud
    music); this stays in float32 throughout.
    """
    audio = np.asarray(audio_16k, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"expected mono audio of shape (n,), got shape {audio.shape}")
    mel = librosa.feature.melspectrogram(y=audio, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP_LENGTH,
                                         n_mels=N_MELS)
    return np.log10(10000 * mel.T + 1, dtype=np.float32)


def patches(spectrogram: np.ndarray, *, hop: int = PATCH_FRAMES) -> np.ndarray:
    """Patches of PATCH_FRAMES frames starting every `hop` frames: float32 (n_patches, 187, 96).

    Like musicnn's extractor, a tail shorter than a patch is dropped.
    """
    if hop <= 0:
        raise ValueError(f"hop must be a positive number of frames, got {hop}")
    if len(spectrogram) < PATCH_FRAMES:
        raise ValueError(f"musicnn needs at least {PATCH_FRAMES} frames ({MIN_SAMPLES} samples, about 3 s "
                         f"at {SAMPLE_RATE} Hz), got {len(spectrogram)}")
    windows = np.lib.stride_tricks.sliding_window_view(spectrogram, PATCH_FRAMES, axis=0)[::hop]
    return np.ascontiguousarray(windows.transpose(0, 2, 1))
