"""The front end's resampler: every path from a file to the model resamples with it.

The filter is the one scipy.signal.resample_poly(x, up, down, window=("kaiser", beta)) designs:
a windowed-sinc low-pass of 2 x half_length_per_rate x max(up, down) + 1 taps, cut off at
the lower Nyquist frequency, unit gain at DC, times `up`. The output sample m is

    y[m] = sum_i x[i] * h[half + m * down - i * up]

for m < ceil(len(x) * up / down): the filter centred on input position m * down / up, with
zeros outside the signal, summed in float64 and rounded to float32. That is resample_poly's
output for float64 input, rounded (tests pin it); the phone app's resample.js sums the same.

Written here rather than called from scipy because `import scipy.signal` alone takes about
1 s (it imports scipy.stats and scipy.interpolate), which was half of `predict`'s start.
Written as matrix products over overlapping windows of the input (BLAS), it also takes
about half resample_poly's CPU time: in figure 1's step table (bench/results.md) resampling
went from 3.2x to 1.9x the CPU time of soxr, the naive recipe's resampler.
"""

from __future__ import annotations

import math

import numpy as np
from threadpoolctl import threadpool_limits

# The resampler's definition, written into each export's spec.json for the phone app
# (resample.js): the filter scipy's resample_poly designs with a Kaiser window, beta 5, half
# length 10 x max(up, down) taps, then the rounding to 16-bit steps (frontend.quantise_16bit).
RESAMPLER = {"method": "resample_poly", "window": ["kaiser", 5.0], "half_length_per_rate": 10,
             "then": "quantise_16bit"}
BLOCK_SAMPLES = 1 << 18  # input samples converted to float64 at a time: 2 MiB, cache-sized


def resample(audio: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    """Mono audio (n,) at orig_sr through the front end's filter to target_sr: float32 (ceil(n * target / orig),)."""
    audio = np.asarray(audio, dtype=np.float32)
    if orig_sr == target_sr:
        return audio
    divisor = math.gcd(orig_sr, target_sr)
    _, beta = RESAMPLER["window"]
    return resample_polyphase(audio, target_sr // divisor, orig_sr // divisor,
                              half_length_per_rate=RESAMPLER["half_length_per_rate"], beta=beta)


def kaiser_lowpass(up: int, down: int, *, half_length_per_rate: int, beta: float) -> np.ndarray:
    """The anti-aliasing FIR for resampling by up / down: float64 (2 * half + 1,), summing to `up`."""
    rate = max(up, down)
    half = half_length_per_rate * rate
    offsets = np.arange(-half, half + 1)
    taps = np.sinc(offsets / rate) * np.kaiser(2 * half + 1, beta)
    return taps * (up / np.sum(taps))


def resample_polyphase(audio: np.ndarray, up: int, down: int, *, half_length_per_rate: int,
                       beta: float, columns: int = 32) -> np.ndarray:
    """Mono float32 audio (n,) resampled by up / down (coprime): float32 (ceil(n * up / down),).

    Computed in float64 and rounded once, a frame at a time (see frame_weights): each run of
    outputs of a frame is one matrix product over all frames, (frames x inputs the run reads)
    @ (inputs x outputs).
    """
    audio = np.asarray(audio, dtype=np.float32)
    taps = kaiser_lowpass(up, down, half_length_per_rate=half_length_per_rate, beta=beta)
    n_out = -(-len(audio) * up // down)
    frame_out, frame_in, runs = frame_weights(taps, up, down, columns=columns)
    n_frames = -(-n_out // frame_out)
    reach = max(offset + len(weights) for offset, weights in runs)  # inputs a frame reads
    # Input i is padded[i + lead]: the zeros in front are the taps that reach before the signal.
    lead = -(-len(taps) // up) - 1
    padded = np.zeros(max(n_frames - 1, 0) * frame_in + reach, dtype=np.float32)
    kept = audio[: len(padded) - lead]
    padded[lead: lead + len(kept)] = kept
    out = np.empty((n_frames, frame_out), dtype=np.float32)
    block_frames = max(1, BLOCK_SAMPLES // frame_in)
    # One BLAS thread: the products are small, and parallel stages already run a process per
    # core; OpenBLAS's threads in each of them spin against each other (4x the CPU time).
    with threadpool_limits(limits=1, user_api="blas"):
        for first_frame in range(0, n_frames, block_frames):
            frames = slice(first_frame, min(first_frame + block_frames, n_frames))
            n_block = frames.stop - frames.start
            block = padded[frames.start * frame_in: (frames.stop - 1) * frame_in + reach].astype(np.float64)
            first = 0
            for offset, weights in runs:
                out[frames, first: first + weights.shape[1]] = frame_products(
                    block[offset:], weights, frame_in=frame_in, n_frames=n_block)
                first += weights.shape[1]
    return out.reshape(-1)[:n_out]


def frame_weights(taps: np.ndarray, up: int, down: int, *, columns: int) -> tuple[int, int, list]:
    """How a frame's outputs weigh its inputs: (frame_out, frame_in, runs).

    A frame is the smallest whole number of periods (`up` outputs, which advance `down`
    inputs) with at least `columns` outputs: frame f's outputs f * frame_out + c read inputs
    from f * frame_in on, through the same weights for every f. `runs` splits the frame's
    outputs into runs of up to `columns`: (first input the run reads, weights (inputs, outputs)),
    zero where a tap does not reach, with the input index counted in the padded signal.
    """
    half = (len(taps) - 1) // 2
    # With q, p = divmod(m * down + half, up), output m is sum_j taps[p + j * up] * x[q - j]
    # over the K taps of phase p (zeros past the filter's end): inputs x[q-K+1 .. q], that is
    # padded[q: q + K], against row p of `phases`, which holds those taps for j = K-1 .. 0.
    per_phase = -(-len(taps) // up)
    padded_taps = np.zeros(per_phase * up)
    padded_taps[: len(taps)] = taps
    phases = padded_taps.reshape(per_phase, up).T[:, ::-1]
    periods = -(-columns // up)
    frame_out, frame_in = periods * up, periods * down
    starts, phase = np.divmod(np.arange(frame_out) * down + half, up)
    runs = []
    for first in range(0, frame_out, columns):
        run = range(first, min(first + columns, frame_out))
        weights = np.zeros((starts[run[-1]] - starts[first] + per_phase, len(run)))
        for column, output in enumerate(run):
            weights[starts[output] - starts[first]:][:per_phase, column] = phases[phase[output]]
        runs.append((int(starts[first]), weights))
    return frame_out, frame_in, runs


def frame_products(block: np.ndarray, weights: np.ndarray, *, frame_in: int, n_frames: int) -> np.ndarray:
    """The first n_frames windows of `block` (starting frame_in apart) times weights: (n_frames, outputs)."""
    windows = np.lib.stride_tricks.sliding_window_view(block, len(weights))[::frame_in][:n_frames]
    # BLAS takes a view of windows as a matrix only if its rows do not overlap, so the
    # frames go in `interleave` groups whose windows start interleave x frame_in apart.
    interleave = -(-len(weights) // frame_in)
    products = np.empty((n_frames, weights.shape[1]))
    for group in range(min(interleave, n_frames)):
        products[group::interleave] = windows[group::interleave] @ weights
    return products


class StreamResampler:
    """The front end's resampler over a stream of mono blocks, at flat memory: the outputs of push() then
    finish(), joined, are resample() of the joined blocks.

    It keeps the inputs the next outputs still read (the filter's reach), starting on a frame
    boundary of resample_polyphase, so each output is computed by the same weights in the same
    frame column as in one pass over the whole signal.
    """

    def __init__(self, *, orig_sr: int, target_sr: int, work_samples: int = 4 * BLOCK_SAMPLES):
        divisor = math.gcd(orig_sr, target_sr)
        self.up, self.down = target_sr // divisor, orig_sr // divisor
        self.same = orig_sr == target_sr
        half_per_rate, (_, self.beta) = RESAMPLER["half_length_per_rate"], RESAMPLER["window"]
        self.half = half_per_rate * max(self.up, self.down)
        self.reach = -(-(2 * self.half + 1) // self.up)  # inputs per output (taps of one phase)
        self.frame_in = -(-32 // self.up) * self.down  # resample_polyphase's frame, at its default columns
        self.work_samples = work_samples
        self.buffer = np.zeros(0, dtype=np.float32)
        self.start = self.received = self.emitted = 0  # buffer[0] is input `start`

    def push(self, block: np.ndarray) -> np.ndarray:
        block = np.asarray(block, dtype=np.float32)
        if self.same:
            return block
        self.buffer = np.concatenate([self.buffer, block])
        self.received += len(block)
        if len(self.buffer) < self.work_samples:
            return np.zeros(0, dtype=np.float32)
        # outputs whose last input has arrived: (m * down + half) // up <= received - 1
        return self._emit(((self.received - 1) * self.up + self.up - 1 - self.half) // self.down + 1)

    def finish(self) -> np.ndarray:
        if self.same:
            return np.zeros(0, dtype=np.float32)
        return self._emit(-(-self.received * self.up // self.down))

    def _emit(self, stop: int) -> np.ndarray:
        if stop <= self.emitted:
            return np.zeros(0, dtype=np.float32)
        out = resample_polyphase(self.buffer, self.up, self.down, half_length_per_rate=RESAMPLER["half_length_per_rate"],
                                 beta=self.beta)
        first_output = self.start // self.down * self.up  # the output of the buffer's first frame
        chunk = out[self.emitted - first_output: stop - first_output]
        self.emitted = stop
        # the first input the next output reads, rounded down to a frame boundary
        needed = max(0, (self.emitted * self.down + self.half) // self.up - self.reach + 1)
        new_start = needed // self.frame_in * self.frame_in
        self.buffer, self.start = self.buffer[new_start - self.start:], new_start
        return chunk
