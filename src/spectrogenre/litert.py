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
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        if self._input["shape"][0] != 1:  # one window a call (predict)
            self._interpreter.resize_tensor_input(self._input["index"], [1, *self._input["shape"][1:]])
        with native_stderr_silenced():  # the first allocation announces the XNNPACK delegate on stderr
            self._interpreter.allocate_tensors()

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One spectrogram's shape, (bins, frames)."""
        return tuple(int(n) for n in self._input["shape"][1:])

    def predict(self, spectrograms: np.ndarray) -> np.ndarray:
        """Each spectrogram's probabilities, run one at a time: LiteRT on CPU takes no less time a window in a
        batch, and its tensors grow with the batch (musicnn: 290 MB more at 8 windows; bench/serving_and_cluster.md)."""
        out = np.empty((len(spectrograms), int(self._output["shape"][-1])), np.float32)
        for n, spectrogram in enumerate(np.asarray(spectrograms, dtype=np.float32)):
            self._interpreter.set_tensor(self._input["index"], spectrogram[None])
            self._interpreter.invoke()
            out[n] = self._interpreter.get_tensor(self._output["index"])[0]
        return out

    @property
    def genres(self) -> int:
        """How many probabilities the model gives."""
        return int(self._output["shape"][-1])


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

    def warm_up(self) -> None:
        """Run each interpreter once, on a silent spectrogram: LiteRT prepares its kernels on an interpreter's
        first call (musicnn: a second or two more than the next ones), which a server would otherwise put on
        its first requests."""
        models = [self._free.get() for _ in range(self.copies)]
        try:
            for model in models:
                model.predict(np.zeros((1, *model.input_shape), np.float32))
        finally:
            for model in models:
                self._free.put(model)

    def predict(self, spectrograms: np.ndarray) -> np.ndarray:
        model = self._free.get()
        try:
            return model.predict(spectrograms)
        finally:
            self._free.put(model)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self._shared("input_shape")

    @property
    def genres(self) -> int:
        return self._shared("genres")

    def _shared(self, name: str):
        """What every copy has alike (its shapes), read from a free one."""
        model = self._free.get()
        try:
            return getattr(model, name)
        finally:
            self._free.put(model)
