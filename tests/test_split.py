import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from spectrogenre.chunks import count_rows, iter_batches
from spectrogenre.clip import clip_library, parse_segments
from spectrogenre.errors import LibraryError
from spectrogenre.features import clip_audio, compute_features
from spectrogenre.frontend import Frontend, log_spectrogram
from spectrogenre.library.groups import split_units
from spectrogenre.params import TrimParams
from spectrogenre.split import assign_groups, leak_report, split_clips, split_dataset
from spectrogenre.trim import trim_library
from tests.synth import scan_and_concat

RATIOS = {"train": 0.7, "val": 0.15, "test": 0.15}


def test_every_split_gets_a_group_and_train_the_rest():
    counts = {f"A{i}": 10 for i in range(5)}
    assignment = assign_groups(counts, RATIOS, rng=np.random.default_rng(0), genre="Jazz")
    assert sorted(assignment) == sorted(counts)
    assert sorted(assignment.values()) == ["test", "train", "train", "train", "val"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_large_groups_fill_train_first_and_every_split_gets_one(seed):
    counts = {"big": 70, "a": 10, "b": 10, "c": 10}
    assignment = assign_groups(counts, RATIOS, rng=np.random.default_rng(seed), genre="Jazz")
    # big -> train (70 of 100 = its share); the small ones go where the deficit is largest:
    # val (15 short), test (15 short), then val again (5 short, ties go to the first split)
    assert assignment["big"] == "train"
    assert sorted(assignment[a] for a in "abc") == ["test", "val", "val"]


def test_too_few_groups_is_an_error_naming_the_genre():
    with pytest.raises(LibraryError, match="genre 'Metal' has 2 group.*needs at least 3"):
        assign_groups({"a": 5, "b": 5}, RATIOS, rng=np.random.default_rng(0), genre="Metal")


def test_a_group_shared_with_a_genre_assigned_before_counts_where_it_is_and_the_rest_fill_the_others():
    # S is in train already (another genre's tracks of the album): a and b are left for val and test
    assignment = assign_groups({"S": 10, "a": 10, "b": 10}, RATIOS, rng=np.random.default_rng(0), genre="pop",
                               placed={"S": "train", "elsewhere": "test"})
    assert assignment == {"S": "train", "a": "val", "b": "test"}
    with pytest.raises(LibraryError, match=r"genre 'pop' has no group left for test: of its 3 groups, 2 are shared "
                                           r"with other genres .* 'S1' \(train\), 'S2' \(train\); add albums"):
        assign_groups({"S1": 10, "S2": 10, "a": 10}, RATIOS, rng=np.random.default_rng(0), genre="pop",
                      placed={"S1": "train", "S2": "train"})


def shared_album_clips() -> pd.DataFrame:
    """Four albums of rock, four of pop, album S's tracks tagged rock (five: rock's largest album, which goes to train
    first) and pop (one: pop's smallest, which an assignment of pop's alone keeps for a set still empty)."""
    rows = [("rock", album, f"rock/{album}/{n}") for album in "ABC" for n in range(3)]
    rows += [("pop", album, f"pop/{album}/{n}") for album in "DEF" for n in range(3)]
    rows += [("rock", "S", f"Artist/S/{n}") for n in range(5)] + [("pop", "S", "Artist/S/5")]  # one folder
    frame = pd.DataFrame(rows, columns=["genre", "group", "track"])
    return frame.assign(clip_id=range(len(frame)), grouped_by="album")


@pytest.mark.parametrize("seed", range(6))
def test_an_album_whose_tracks_carry_two_genre_tags_is_in_one_set(seed):
    clips = split_clips(shared_album_clips(), ratios=RATIOS, seed=seed)
    assert clips.loc[clips["group"] == "S", "split"].nunique() == 1
    for _, rows in clips.groupby("genre"):
        assert sorted(set(rows["split"])) == ["test", "train", "val"]
    report = leak_report(clips, split_units(clips))
    assert report["disjoint"] is True


def test_one_name_under_two_genres_is_one_album_in_one_folder_and_two_in_two():
    clips = shared_album_clips()
    assert split_units(clips).tolist()[-6:] == ["pop/S"] * 6  # the first name of the two in sorted order
    apart = clips.assign(track=clips["track"].str.replace("Artist/", "") + clips["genre"])  # S/0rock ... S/5pop
    assert split_units(apart).tolist()[-6:] == ["pop/S"] * 6  # still one folder: S/
    apart = clips.assign(track=clips["genre"] + "/" + clips["track"])  # rock/Artist/S/0 ... pop/Artist/S/5
    assert split_units(apart).tolist()[-6:] == ["rock/S"] * 5 + ["pop/S"]  # genre folders' own: two albums
    # the leak report holds the one album in two sets as a leak, the two albums not
    clips["split"] = apart["split"] = ["train"] * 9 + ["val"] * 9 + ["train"] * 5 + ["test"]
    assert leak_report(clips, split_units(clips))["overlaps"]["train&test"]["groups"] == ["pop/S"]
    assert leak_report(apart, split_units(apart))["disjoint"] is True


def test_an_albums_discs_in_their_own_folders_are_one_unit_whatever_their_genre_tags():
    # a deluxe edition's remix disc tagged Electronic beside the album's Rock: Album/Disc 1, Album/Disc 2
    clips = shared_album_clips()
    discs = clips.assign(track=clips["track"].str.replace("Artist/S/5", "Artist/S/Disc 2/5")
                         .str.replace(r"Artist/S/(\d)$", r"Artist/S/Disc 1/\1", regex=True))
    assert discs["track"].tolist()[-2:] == ["Artist/S/Disc 1/4", "Artist/S/Disc 2/5"]
    assert split_units(discs).tolist()[-6:] == ["pop/S"] * 6
    other = clips.assign(track=clips["track"].str.replace("Artist/S/5", "Artist/S/Bonus/5"))  # no disc's name
    assert split_units(other).tolist()[-6:] == ["rock/S"] * 5 + ["pop/S"]


def test_group_names_written_alike_are_one_unit_under_the_first_spelling():
    clips = pd.DataFrame({"genre": ["pop"] * 5, "group": ["c layne - vi", "C Layne - VI", "C  Layne - VI",
                                                            "E\u0301lan", "\u00c9lan"]})
    clips["track"] = clips["genre"] + "/" + clips["group"] + "/1.mp3"  # folders named as the albums are
    assert split_units(clips).tolist() == ["pop/C  Layne - VI"] * 3 + ["pop/E\u0301lan"] * 2


def test_leak_report_finds_a_shared_group():
    clips = pd.DataFrame({
        "genre": ["Jazz"] * 4, "group": ["A", "A", "B", "C"], "grouped_by": "album",
        "track": ["A/1", "A/2", "B/1", "C/1"], "split": ["train", "test", "val", "test"],
    })
    report = leak_report(clips, split_units(clips))
    assert report["disjoint"] is False
    assert report["overlaps"]["train&test"] == {"groups": ["Jazz/A"], "tracks": []}
    assert report["clips"] == {"train": 1, "val": 1, "test": 2}
    assert report["grouped_by"] == {"Jazz": {"album": 3}} and report["warnings"] == []


def test_leak_report_says_how_each_genre_was_grouped_and_warns_of_single_tracks():
    clips = pd.DataFrame({
        "genre": ["Jazz", "Jazz", "Jazz", "Rap", "Rap", "Rap"],
        "group": ["A", "[artist] X", "[track] j3.mp3", "[track] r1.mp3", "[track] r2.mp3", "[track] r3.mp3"],
        "grouped_by": ["album", "artist", "track", "track", "track", "track"],
        "track": ["j1.mp3", "j2.mp3", "j3.mp3", "r1.mp3", "r2.mp3", "r3.mp3"],
        "split": ["train", "val", "test", "train", "val", "test"],
    })
    report = leak_report(clips, split_units(clips))
    assert report["disjoint"] is True
    assert report["grouped_by"] == {"Jazz": {"album": 1, "artist": 1, "track": 1}, "Rap": {"track": 3}}
    assert report["warnings"] == [
        "genre 'Jazz': 1 group(s) are single tracks with no album or artist tag; tracks of one album may straddle sets",
        "genre 'Rap': 3 group(s) are single tracks with no album or artist tag; tracks of one album may straddle sets"]


@pytest.fixture
def features_dirs(tiny_library, tmp_path):
    frontend = Frontend(sample_rate=8000, clip_seconds=2.0, n_fft=256, hop_length=128)
    scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000)
    trim_library(tmp_path / "concat", tmp_path / "trim", TrimParams())
    clip_library(tmp_path / "concat", tmp_path / "trim", tmp_path / "clips", sample_rate=8000,
                 clip_seconds=2.0, hop_seconds=1.0)
    report = split_dataset(tmp_path / "clips", tmp_path / "split", ratios=RATIOS, seed=0)
    dataset = compute_features(tmp_path / "concat", tmp_path / "clips", tmp_path / "split", tmp_path / "features",
                               frontend=frontend, chunk_mb=0.25, jobs=2)
    return tmp_path, frontend, report, dataset


def test_split_is_album_disjoint_with_a_shuffled_order_per_set(features_dirs):
    tmp_path, _, report, _ = features_dirs
    assert report["disjoint"] is True
    for split in ("train", "val", "test"):  # 3 albums per genre: one per split
        assert [a.split("/")[0] for a in report["groups"][split]] == ["Clicks", "Drone", "Noise"]
    assert report["grouped_by"] == {"Clicks": {"album": 3}, "Drone": {"album": 3}, "Noise": {"album": 3}}
    clips = pd.read_csv(tmp_path / "split" / "clips.csv")
    for split, group in clips.groupby("split"):
        assert sorted(group["order"]) == list(range(len(group)))
        assert group.groupby(["genre", "group"]).ngroups == 3
    assert clips.groupby("genre")["label"].first().to_dict() == {"Clicks": 0, "Drone": 1, "Noise": 2}


def test_features_are_float16_spectrograms_in_bounded_mixed_chunks(features_dirs):
    tmp_path, frontend, report, dataset = features_dirs
    assert frontend.shape == (129, 126) and dataset["input_shape"] == [129, 126]
    assert dataset["labels"] == ["Clicks", "Drone", "Noise"]
    rows_per_chunk = int(0.25 * 2**20 // (129 * 126 * 2))  # 8 rows fit in 0.25 MiB
    clips = pd.read_csv(tmp_path / "split" / "clips.csv").set_index("clip_id")
    for split in ("train", "val", "test"):
        paths = [tmp_path / "features" / name for name in dataset["chunks"][split]]
        assert count_rows(paths) == report["clips"][split]
        ids = np.concatenate([np.load(p)["clip_id"] for p in paths])
        # every clip of the split once, in the split's shuffled order
        assert ids.tolist() == clips[clips["split"] == split].sort_values("order").index.tolist()
        for path in paths:
            with np.load(path) as chunk:
                assert chunk["x"].dtype == np.float16 and chunk["x"].shape[1:] == (129, 126)
                assert len(chunk["y"]) <= rows_per_chunk
                assert chunk["y"].tolist() == clips.loc[chunk["clip_id"], "label"].tolist()
    first = np.load(tmp_path / "features" / dataset["chunks"]["train"][0])
    assert len(set(first["y"].tolist())) >= 2  # a shuffled chunk mixes the genres


def test_chunk_rows_are_the_spectrograms_of_their_clips(features_dirs):
    tmp_path, frontend, _, dataset = features_dirs
    clips = pd.read_csv(tmp_path / "clips" / "clips.csv").set_index("clip_id")
    with np.load(tmp_path / "features" / dataset["chunks"]["val"][0]) as chunk:
        clip_id, x = int(chunk["clip_id"][3]), chunk["x"][3]
    row = clips.loc[clip_id]
    with sf.SoundFile(tmp_path / "concat" / row["genre_file"]) as handle:
        expected = log_spectrogram(clip_audio(handle, parse_segments(row["segments"])), frontend)
    np.testing.assert_allclose(x.astype(np.float32), expected, atol=0.06)  # float16 steps at <= 64 dB


def test_batches_cover_every_row_once_full_but_the_last(features_dirs):
    tmp_path, _, _, dataset = features_dirs
    paths = [tmp_path / "features" / name for name in dataset["chunks"]["train"]]
    n = count_rows(paths)
    batches = list(iter_batches(paths, batch_size=5, rng=np.random.default_rng(0), shuffle_chunks=2))
    assert len(batches) == -(-n // 5)
    assert [len(b[1]) for b in batches[:-1]] == [5] * (len(batches) - 1)
    ids = np.concatenate([b[2] for b in batches])
    assert sorted(ids.tolist()) == sorted(np.concatenate([np.load(p)["clip_id"] for p in paths]).tolist())
    in_order = np.concatenate([b[2] for b in iter_batches(paths, batch_size=5)])
    assert not np.array_equal(ids, in_order)


def test_training_input_is_the_float32_batches_cast_in_tensorflow(features_dirs):
    from spectrogenre.streaming import chunk_dataset

    tmp_path, frontend, _, dataset = features_dirs
    paths = [tmp_path / "features" / name for name in dataset["chunks"]["train"]]
    expected = list(iter_batches(paths, batch_size=5, rng=np.random.default_rng(0), shuffle_chunks=2))
    stored = list(iter_batches(paths, batch_size=5, rng=np.random.default_rng(0), shuffle_chunks=2, dtype=np.float16))
    assert all(x16.dtype == np.float16 and np.array_equal(x16.astype(np.float32), x) and np.array_equal(ids16, ids)
               for (x16, _, ids16), (x, _, ids) in zip(stored, expected, strict=True))
    streamed = chunk_dataset(paths, frontend.shape, batch_size=5, rng=np.random.default_rng(0), shuffle_chunks=2)
    for (x, y), (x_expected, y_expected, _) in zip(streamed, expected, strict=True):
        assert x.dtype.name == "float32"
        np.testing.assert_array_equal(x.numpy(), x_expected)
        np.testing.assert_array_equal(y.numpy(), y_expected)
