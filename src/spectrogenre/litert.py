"""Running an exported TFLite model with the LiteRT interpreter (no TensorFlow import)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter


class TFLiteModel:
    """A TFLite genre model: log spectrograms (n, bins, frames) in dB -> probabilities (n, genres)."""

    def __init__(self, path: Path):
        self._interpreter = Interpreter(model_path=str(path))
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = None

    def predict(self, spectrograms: np.ndarray) -> np.ndarray:
        spectrograms = np.asarray(spectrograms, dtype=np.float32)
        if self._batch != len(spectrograms):
            self._interpreter.resize_tensor_input(self._input, spectrograms.shape)
            self._interpreter.allocate_tensors()
            self._batch = len(spectrograms)
        self._interpreter.set_tensor(self._input, spectrograms)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()
