"""Streaming chunk files: every row once per epoch, seeded shuffles within bounded groups, exact batches.

The chunks are tiny and hand-made: row i of the library is clip i, its x all i, its label i % 3.
"""

import numpy as np
import pytest

from spectrogenre.chunks import (
    clip_labels,
    count_rows,
    iter_batches,
    iter_groups,
    load_chunk,
    select_rows,
    standardisation,
)
from spectrogenre.files import write_npz

SIZES = (4, 3, 5, 2)  # rows per chunk file: 14 clips
SHAPE = (2, 3)


@pytest.fixture
def chunks(tmp_path):
    paths, first = [], 0
    for number, size in enumerate(SIZES):
        ids = np.arange(first, first + size)
        path = tmp_path / f"train-{number:05d}.npz"
        write_npz(path, x=np.broadcast_to(ids[:, None, None], (size, *SHAPE)).astype(np.float16),
                  y=(ids % 3).astype(np.int16), clip_id=ids)
        paths.append(path)
        first += size
    return paths


def chunk_of(clip_id: int) -> int:
    return int(np.searchsorted(np.cumsum(SIZES), clip_id, side="right"))


def streamed(dataset) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def test_groups_are_whole_chunks_shuffled_together(chunks):
    groups = list(iter_groups(chunks, rng=np.random.default_rng(0), shuffle_chunks=2))
    members = [sorted({chunk_of(i) for i in ids}) for _, _, ids in groups]
    assert sorted(sum(members, [])) == [0, 1, 2, 3] and [len(m) for m in members] == [2, 2]
    for (x, y, ids), chunk_numbers in zip(groups, members):
        assert sorted(ids.tolist()) == [i for c in chunk_numbers for i in range(sum(SIZES[:c]), sum(SIZES[:c + 1]))]
        assert x.dtype == np.float16 and (x == ids[:, None, None]).all() and (y == ids % 3).all()
    assert any(not np.array_equal(ids, np.sort(ids)) for _, _, ids in groups)


def test_without_rng_the_chunks_come_in_file_and_row_order(chunks):
    assert [ids.tolist() for _, _, ids in iter_groups(chunks)] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9, 10, 11], [12, 13]]
    batches = list(iter_batches(chunks, batch_size=4))
    assert [ids.tolist() for _, _, ids in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13]]
    assert batches[1][0].dtype == np.float32 and batches[1][0][:, 0, 0].tolist() == [4, 5, 6, 7]


def test_batches_run_across_groups(chunks):
    rng = np.random.default_rng(1)
    groups = [ids for _, _, ids in iter_groups(chunks, rng=rng, shuffle_chunks=3)]
    batches = list(iter_batches(chunks, batch_size=4, rng=np.random.default_rng(1), shuffle_chunks=3))
    assert [len(y) for _, y, _ in batches] == [4, 4, 4, 2]
    assert np.concatenate([ids for _, _, ids in batches]).tolist() == np.concatenate(groups).tolist()


def test_dataset_is_every_row_once_in_exact_float32_batches(chunks):
    from spectrogenre.streaming import chunk_dataset

    dataset = chunk_dataset(chunks, SHAPE, batch_size=4, rng=np.random.default_rng(0), shuffle_chunks=2)
    assert int(dataset.cardinality()) == 4
    batches = streamed(dataset)
    assert [len(y) for _, y in batches] == [4, 4, 4, 2]
    x, y = (np.concatenate(parts) for parts in zip(*batches))
    assert x.dtype == np.float32 and x.shape == (14, *SHAPE) and y.dtype == np.int32
    ids = x[:, 0, 0].astype(int)
    assert sorted(ids.tolist()) == list(range(14)) and (x == ids[:, None, None]).all() and (y == ids % 3).all()
    expected = iter_batches(chunks, batch_size=4, rng=np.random.default_rng(0), shuffle_chunks=2)
    assert ids.tolist() == np.concatenate([b[2] for b in expected]).tolist()


def test_each_epoch_a_new_shuffle_the_same_for_the_same_seed(chunks):
    from spectrogenre.streaming import chunk_dataset

    def epochs(seed):
        dataset = chunk_dataset(chunks, SHAPE, batch_size=5, rng=np.random.default_rng(seed), shuffle_chunks=2)
        return [np.concatenate([x[:, 0, 0] for x, _ in streamed(dataset)]).astype(int).tolist() for _ in range(2)]

    first, second = epochs(0)
    assert sorted(first) == sorted(second) == list(range(14)) and first != second
    assert epochs(0) == [first, second] and epochs(1) != [first, second]


def test_validation_input_is_in_order(chunks):
    from spectrogenre.streaming import chunk_dataset

    batches = streamed(chunk_dataset(chunks, SHAPE, batch_size=6, rng=None, shuffle_chunks=1))
    assert [x[:, 0, 0].astype(int).tolist() for x, _ in batches] == [list(range(6)), list(range(6, 12)), [12, 13]]


def test_standardisation_of_every_value(chunks):
    assert count_rows(chunks) == 14
    mean, std = standardisation(chunks)  # values 0..13, each 6 times
    assert mean == pytest.approx(6.5) and std == pytest.approx(np.sqrt((14**2 - 1) / 12))


def test_selected_rows_stream_as_if_they_were_the_only_ones(chunks):
    # clips 2, 5, 6, 13 of 14: two in chunk 0, two in chunk 1 (rows 3-6), none of chunk 2, one in chunk 3
    selected = select_rows(chunks, [13, 5, 2, 6])
    assert [part.path for part in selected] == [chunks[0], chunks[1], chunks[3]]
    assert count_rows(selected) == 4
    labels, ids = clip_labels(selected)
    assert ids.tolist() == [2, 5, 6, 13] and labels.tolist() == [2, 2, 0, 1]
    x, y, ids = load_chunk(selected[1])
    assert ids.tolist() == [5, 6] and x[:, 0, 0].tolist() == [5.0, 6.0] and y.tolist() == [2, 0]
    batches = list(iter_batches(selected, batch_size=3, rng=np.random.default_rng(1), shuffle_chunks=2))
    assert sorted(np.concatenate([b[2] for b in batches]).tolist()) == [2, 5, 6, 13]
    assert [len(b[1]) for b in batches] == [3, 1]
    mean, std = standardisation(selected)
    assert mean == pytest.approx(6.5) and std == pytest.approx(np.std([2, 5, 6, 13]))
    # a selection of a selection is the rows of both
    assert clip_labels(select_rows(selected, [5, 13, 7]))[1].tolist() == [5, 13]
