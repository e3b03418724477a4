"""A hand-made export for the browser tests: a "genre" model that only looks at where the energy is.

Its genres are frequency bands: the probability of each follows the mean level (dB) of its
band of spectrogram bins, so a 150 Hz tone is "bass" and a 5 kHz tone "treble". Its front
end is any of the kinds (STFT bins, or mel bands placed at their centre frequencies). It is a
real TFLite model with a free batch size, converted like the export stage converts, so the
browser runs what it would run for a trained model; only its weights are set by hand.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from spectrogenre.frontend import Frontend
from spectrogenre.params import TrimParams
from spectrogenre.resampler import RESAMPLER

BANDS_HZ = {"bass": (0, 300), "middle": (300, 2000), "treble": (2000, 11025)}
LOGITS_PER_DB = 0.15  # 10 dB more in a band's mean level: e^1.5 (x 4.5) more likely
# musicnn's log10(10000 mel + 1) grows by 1 for 10 dB more (once well above the + 1)
LOGITS_PER_UNIT = {"stft": LOGITS_PER_DB, "mel": LOGITS_PER_DB, "musicnn": 10 * LOGITS_PER_DB}
UNITS = {"stft": "dB", "mel": "dB", "musicnn": "log10(10000 mel + 1)"}


def bin_frequencies(frontend: Frontend) -> np.ndarray:
    """Centre frequency (Hz) of each spectrogram row: STFT bins, or the mel bands' centres."""
    if frontend.kind == "stft":
        return np.arange(frontend.n_bins) * frontend.sample_rate / frontend.n_fft
    import librosa

    return librosa.mel_frequencies(frontend.n_mels + 2, fmax=frontend.sample_rate / 2)[1:-1]


def write_band_export(out_dir: Path, frontend: Frontend = Frontend()) -> Path:
    """Write model.tflite and spec.json (the export stage's layout) for `frontend` into out_dir; return it."""
    import keras

    from spectrogenre.export import to_tflite

    bins, frames = frontend.shape
    bin_hz = bin_frequencies(frontend)
    weights = np.zeros((bins, len(BANDS_HZ)), dtype=np.float32)
    for g, (low, high) in enumerate(BANDS_HZ.values()):
        band = (bin_hz >= low) & (bin_hz < high)
        weights[band, g] = LOGITS_PER_UNIT[frontend.kind] / band.sum()

    inputs = keras.Input((bins, frames), name="log_spectrogram")
    levels = keras.layers.GlobalAveragePooling1D()(keras.layers.Permute((2, 1))(inputs))  # mean level per bin
    dense = keras.layers.Dense(len(BANDS_HZ), activation="softmax")
    model = keras.Model(inputs, dense(levels))
    dense.set_weights([weights, np.zeros(len(BANDS_HZ), dtype=np.float32)])

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "model.tflite").write_bytes(to_tflite(model, quantise=False))
    spec = {
        "labels": list(BANDS_HZ),
        "frontend": frontend.to_dict() | {"shape": [bins, frames]},
        "resampler": RESAMPLER,
        "silence": asdict(TrimParams()),
        "verdict": {"unsure_below": 0.5, "temperature": 1.5},  # not 1: the app tests check the calibration too
        "windows": {"hop_seconds": 7.5, "short_tolerance_s": 1.0, "min_sound_fraction": 0.5},
        "kind": "bands",
        "version": "bands-test",
        "input": {"name": "log_spectrogram", "shape": ["batch", bins, frames], "dtype": "float32",
                  "unit": UNITS[frontend.kind]},
        "output": {"name": "genre", "shape": ["batch", len(BANDS_HZ)], "meaning": "softmax probabilities"},
        "models": {"float": "model.tflite"},
    }
    (out_dir / "spec.json").write_text(json.dumps(spec, indent=2))
    return out_dir
