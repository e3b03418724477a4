import numpy as np
import pandas as pd
import pytest

from spectrogenre.crossval import summarise
from spectrogenre.errors import LibraryError
from spectrogenre.library.groups import assign_folds, clip_groups


def library_clips(artists: dict[tuple[str, str], str], clips_per_album: int = 2) -> pd.DataFrame:
    """clips_per_album clips of each (genre, album), its one track tagged with the given artist."""
    rows = [{"genre": g, "group": a, "track": f"{g}/{a}/1.mp3", "artist": artist}
            for (g, a), artist in artists.items() for _ in range(clips_per_album)]
    return pd.DataFrame(rows).assign(clip_id=lambda f: np.arange(len(f)))


def test_albums_sharing_an_artist_form_one_group():
    clips = library_clips({("rock", "A"): "x", ("rock", "B"): "x", ("rock", "C"): "y", ("pop", "D"): "y",
                           ("pop", "E"): "z"})
    groups, by = clip_groups(clips, group="auto")
    assert by == "artist"
    album_group = dict(zip(clips["group"], groups))
    assert album_group["A"] == album_group["B"]                     # artist x
    assert album_group["C"] == album_group["D"]                     # artist y, across genres
    assert len({album_group["A"], album_group["C"], album_group["E"]}) == 3


def test_an_album_under_two_genre_tags_in_one_folder_is_one_group_and_in_two_genre_folders_two():
    clips = library_clips({("rock", "A"): "", ("rock", "S"): "", ("pop", "S"): "", ("pop", "s"): "", ("pop", "B"): ""})
    groups, by = clip_groups(clips, group="auto")  # rock/S/1.mp3 and pop/S/1.mp3: genre folders' own albums
    album_group = dict(zip(zip(clips["genre"], clips["group"]), groups))
    assert by == "album" and album_group["rock", "S"] != album_group["pop", "S"] == album_group["pop", "s"]
    assert len(set(album_group.values())) == 4
    clips["track"] = clips["track"].str.replace(r"^(rock|pop)/", "Artist/", regex=True)  # Artist/S/1.mp3 for both
    groups, _ = clip_groups(clips, group="auto")
    album_group = dict(zip(zip(clips["genre"], clips["group"]), groups))
    assert album_group["rock", "S"] == album_group["pop", "S"] == album_group["pop", "s"]
    assert len(set(album_group.values())) == 3


def test_untagged_tracks_fall_back_to_albums_or_fail_when_artist_is_asked():
    clips = library_clips({("rock", "A"): "x", ("rock", "B"): "x", ("rock", "C"): ""})
    groups, by = clip_groups(clips, group="auto")
    assert by == "album" and groups.nunique() == 3
    with pytest.raises(LibraryError, match="rock/C/1.mp3 has none"):
        clip_groups(clips, group="artist")


def test_each_fold_gets_one_group_of_each_genre_before_any_gets_two():
    albums = {(g, f"{g}{i}"): f"{g}-artist{i}" for g in ("rock", "pop") for i in range(6)}
    clips = library_clips(albums)
    groups, _ = clip_groups(clips, group="artist")
    folds = assign_folds(clips, groups, folds=3, seed=0)
    per_fold = clips.assign(fold=folds).groupby(["fold", "genre"])["group"].nunique()
    assert per_fold.tolist() == [2] * 6                       # 6 albums per genre over 3 folds: 2 each
    assert clips.assign(fold=folds).groupby("group")["fold"].nunique().max() == 1   # albums whole


def test_a_genre_with_fewer_groups_than_folds_is_named():
    clips = library_clips({("rock", "A"): "x", ("rock", "B"): "y", ("pop", "C"): "z", ("pop", "D"): "w",
                           ("pop", "E"): "v"})
    groups, _ = clip_groups(clips, group="artist")
    with pytest.raises(LibraryError, match="genre 'rock' has 2 independent group"):
        assign_folds(clips, groups, folds=3, seed=0)


def test_summary_has_mean_and_sample_spread():
    folds = [{"clip": {"accuracy": a, "macro_f1": a}, "track": {"accuracy": 1.0, "macro_f1": 1.0}}
             for a in (0.5, 0.7, 0.9)]
    summary = summarise(folds)
    assert summary["clip"]["accuracy"] == {"mean": 0.7, "std": 0.2, "min": 0.5, "max": 0.9}
    assert summary["track"]["accuracy"]["std"] == 0.0


