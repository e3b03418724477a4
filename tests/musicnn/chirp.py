"""The golden file's input: a chirp plus noise, regenerated rather than stored (10 s of audio is 640 KB).

numpy only, so tools/musicnn_golden.py can import it in the test-only venv. The noise
comes from the legacy RandomState, whose stream numpy keeps stable across versions.
"""

from __future__ import annotations

import numpy as np


def chirp_and_noise(seconds: float, *, sr: int = 16000, seed: int = 0) -> np.ndarray:
    """A logarithmic chirp from 60 Hz to 6 kHz with a 2 Hz pulse, plus white noise: float32 (n,)."""
    t = np.arange(int(round(seconds * sr))) / sr
    f0, f1 = 60.0, 6000.0
    rate = np.log(f1 / f0) / seconds
    chirp = np.sin(2 * np.pi * f0 * (np.exp(rate * t) - 1) / rate)
    pulse = 0.6 + 0.4 * np.cos(2 * np.pi * 2.0 * t)
    noise = np.random.RandomState(seed).uniform(-1.0, 1.0, len(t))
    return (0.5 * pulse * chirp + 0.05 * noise).astype(np.float32)
