"""Streaming the split's chunk files: bounded memory whatever the library's size."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

STATS_ROWS = 16  # rows per float64 block in standardisation: its temporaries stay about 10 MiB


@dataclass(frozen=True)
class ChunkRows:
    """Some rows of one chunk file: those of the clips in `clip_ids`, in the file's order. Every function here
    takes one wherever it takes a chunk file's path, so a fold of cross-validation streams its clips straight
    from the stage's chunks instead of from copies."""

    path: Path
    clip_ids: frozenset[int]

    def rows(self, clip_id: np.ndarray) -> np.ndarray:
        return np.isin(clip_id, list(self.clip_ids))


Chunk = Path | ChunkRows


def select_rows(paths: list[Chunk], clip_ids: Iterable[int]) -> list[ChunkRows]:
    """The rows of `paths` whose clip is in `clip_ids`, as ChunkRows (chunks with none of them left out)."""
    wanted = {int(i) for i in clip_ids}
    selected = []
    for path in paths:
        _, ids = chunk_labels(path)
        kept = wanted.intersection(ids.tolist())
        if kept:
            selected.append(ChunkRows(path.path if isinstance(path, ChunkRows) else path, frozenset(kept)))
    return selected


def load_chunk(path: Chunk, *, dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x `dtype` (rows, bins, frames), y int32 (rows,), clip_id int64 (rows,)) of one chunk file (x stored float16)."""
    with np.load(path.path if isinstance(path, ChunkRows) else path) as chunk:
        if isinstance(path, ChunkRows):
            rows = path.rows(chunk["clip_id"])
            return chunk["x"][rows].astype(dtype, copy=False), chunk["y"][rows].astype(np.int32), chunk["clip_id"][rows]
        return chunk["x"].astype(dtype, copy=False), chunk["y"].astype(np.int32), chunk["clip_id"]


def chunk_labels(path: Chunk) -> tuple[np.ndarray, np.ndarray]:
    """(y int32, clip_id) of one chunk file's rows, reading neither spectrograms nor more than the labels."""
    with np.load(path.path if isinstance(path, ChunkRows) else path) as chunk:
        y, ids = chunk["y"].astype(np.int32), chunk["clip_id"]
    if isinstance(path, ChunkRows):
        rows = path.rows(ids)
        return y[rows], ids[rows]
    return y, ids


def clip_labels(paths: list[Chunk]) -> tuple[np.ndarray, np.ndarray]:
    """(y int32 (n,), clip_id (n,)) of every row of the chunk files, in order, reading only their labels."""
    parts = [chunk_labels(path) for path in paths]
    return np.concatenate([y for y, _ in parts]), np.concatenate([ids for _, ids in parts])


def chunk_rows(path: Chunk) -> int:
    """Rows in one chunk file, reading only its labels."""
    return len(chunk_labels(path)[0])


def count_rows(paths: list[Chunk]) -> int:
    """Rows in the chunk files, reading only their labels."""
    return sum(chunk_rows(path) for path in paths)


def iter_groups(paths: list[Chunk], *, rng: np.random.Generator | None = None,
                shuffle_chunks: int = 1) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (x float16 (rows, bins, frames), y int32, clip_id int64) of groups of chunk files.

    With `rng`: the chunks in a random order, `shuffle_chunks` at a time, each group's rows in
    a random order (one permutation drawn per group). Without it: one chunk at a time, in file
    and row order. Memory: one group, and one chunk while the group is filled (the chunks are
    scattered straight to their shuffled rows, never concatenated then permuted). The caller
    must drop a group before asking for the next one, or two groups are alive.
    """
    if rng is None:
        for path in paths:
            yield load_chunk(path, dtype=np.float16)
        return
    order = rng.permutation(len(paths))
    for first in range(0, len(order), shuffle_chunks):
        members = [paths[i] for i in order[first: first + shuffle_chunks]]
        sizes = [chunk_rows(path) for path in members]
        destination = rng.permutation(sum(sizes))  # row j of the chunks, one after another, goes to destination[j]
        x = y = ids = None
        start = 0
        for path, size in zip(members, sizes, strict=True):
            cx, cy, cids = load_chunk(path, dtype=np.float16)
            if x is None:
                x = np.empty((len(destination), *cx.shape[1:]), np.float16)
                y, ids = np.empty(len(destination), np.int32), np.empty(len(destination), cids.dtype)
            rows = destination[start: start + size]
            x[rows], y[rows], ids[rows] = cx, cy, cids
            start += size
            del cx, cy, cids  # before the next chunk loads
        yield x, y, ids
        del x, y, ids  # before the next group fills: memory holds one group, not two


def iter_batches(paths: list[Chunk], *, batch_size: int, rng: np.random.Generator | None = None, shuffle_chunks: int = 1,
                 dtype: type = np.float32) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Yield (x, y, clip_id) batches from chunk files: all full but the last, ceil(rows / batch_size) in all.

    The rows of `iter_groups` one group after another, cut into batches (a batch may span two
    groups); x converted to `dtype` batch by batch. With `rng`, shuffled across `shuffle_chunks`
    chunks at a time; without it, in file and row order (for evaluation). The same rows in the
    same order as `streaming.chunk_dataset` with the same `rng` state.
    """
    carry: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # fewer than a batch, from earlier groups
    held = 0
    for group in iter_groups(paths, rng=rng, shuffle_chunks=shuffle_chunks):
        n, start = len(group[1]), 0
        if carry:
            start = min(batch_size - held, n)
            carry.append(tuple(part[:start].copy() for part in group))
            held += start
            if held == batch_size:
                x, y, ids = (np.concatenate(parts) for parts in zip(*carry))
                yield x.astype(dtype, copy=False), y, ids
                carry, held = [], 0
        n_full = start + (n - start) // batch_size * batch_size
        for first in range(start, n_full, batch_size):
            x, y, ids = (part[first: first + batch_size] for part in group)
            yield x.astype(dtype), y, ids  # a copy: a view would keep the group alive
        if n_full < n:
            carry.append(tuple(part[n_full:].copy() for part in group))
            held += n - n_full
        del group
    if carry:
        x, y, ids = (np.concatenate(parts) for parts in zip(*carry))
        yield x.astype(dtype, copy=False), y, ids


def standardisation_sums(paths: list[Chunk]) -> np.ndarray:
    """(count, sum, sum of squares) of every value in the chunks' x, in float64, computed in one streamed pass:
    sums of several shards add up to those of all of them (distributed training adds the workers')."""
    count, total, total_sq = 0, 0.0, 0.0
    for path in paths:
        x, _, _ = load_chunk(path, dtype=np.float16)
        for first in range(0, len(x), STATS_ROWS):
            block = x[first: first + STATS_ROWS].astype(np.float64).ravel()
            count += block.size
            total += float(block.sum())
            total_sq += float(block @ block)
        del x
    return np.array([count, total, total_sq], np.float64)


def standardisation_from_sums(sums: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation from standardisation_sums."""
    count, total, total_sq = (float(value) for value in sums)
    mean = total / count
    return mean, float(np.sqrt(max(total_sq / count - mean**2, 1e-12)))


def standardisation(paths: list[Chunk]) -> tuple[float, float]:
    """Mean and standard deviation of every value in the chunks' x, computed in one streamed pass."""
    return standardisation_from_sums(standardisation_sums(paths))
