"""Running an exported TFLite model with the LiteRT interpreter (no TensorFlow import)."""

from __future__ import annotations

import queue
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from spectrogenre.cores import available_cores
from spectrogenre.quiet import native_stderr_silenced


class TFLiteModel:
    """A TFLite genre model: log spectrograms (n, bins, frames) in dB -> probabilities (n, genres)."""

    def __init__(self, path: Path, *, threads: int | None = None):
        """threads: the interpreter's CPU threads, by default every core this process may use (LiteRT's own
        default is one: musicnn then takes 1.7x as long per clip on 2 cores)."""
        self._interpreter = Interpreter(model_path=str(path), num_threads=threads or available_cores())
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        with native_stderr_silenced():  # the first allocation announces the XNNPACK delegate on stderr
            self._interpreter.allocate_tensors()
        self._batch = int(self._interpreter.get_input_details()[0]["shape"][0])

    def predict(self, spectrograms: np.ndarray) -> np.ndarray:
        spectrograms = np.asarray(spectrograms, dtype=np.float32)
        if self._batch != len(spectrograms):
            self._interpreter.resize_tensor_input(self._input, spectrograms.shape)
            self._interpreter.allocate_tensors()
            self._batch = len(spectrograms)
        self._interpreter.set_tensor(self._input, spectrograms)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()


class ModelPool:
    """`copies` interpreters of one model, so that as many threads can predict at once: an interpreter is
    never shared (LiteRT's is not thread-safe); predict waits for a free one. The cores are split
    between them."""

    def __init__(self, path: Path, *, copies: int = 1):
        threads = max(1, available_cores() // copies)
        self.copies = copies
        self._free: queue.SimpleQueue[TFLiteModel] = queue.SimpleQueue()
        for _ in range(copies):
            self._free.put(TFLiteModel(path, threads=threads))

    def predict(self, spectrograms: np.ndarray) -> np.ndarray:
        model = self._free.get()
        try:
            return model.predict(spectrograms)
        finally:
            self._free.put(model)
