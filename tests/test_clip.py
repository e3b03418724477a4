import numpy as np

from spectrogenre.clip import clip_library, cut_clips, format_segments, intersect, parse_segments
from spectrogenre.params import TrimParams
from spectrogenre.trim import trim_library

from tests.synth import scan_and_concat


def _as_lists(clips):
    return [c.tolist() for c in clips]


def test_clips_follow_the_trimmed_audio_across_a_removed_silence():
    segments = np.array([[0, 100], [200, 260]])
    assert _as_lists(cut_clips(segments, clip_samples=50, hop_samples=50)) == [
        [[0, 50]], [[50, 100]], [[200, 250]]]
    assert _as_lists(cut_clips(segments, clip_samples=80, hop_samples=80)) == [
        [[0, 80]], [[80, 100], [200, 260]]]


def test_overlapping_clips_and_a_too_short_remainder():
    segments = np.array([[0, 100]])
    clips = cut_clips(segments, clip_samples=40, hop_samples=20)
    assert _as_lists(clips) == [[[0, 40]], [[20, 60]], [[40, 80]], [[60, 100]]]
    assert cut_clips(np.array([[0, 39]]), clip_samples=40, hop_samples=40) == []


def test_intersect_and_segment_text_round_trip():
    intervals = np.array([[0, 10], [20, 30], [40, 50]])
    np.testing.assert_array_equal(intersect(intervals, 5, 45), [[5, 10], [20, 30], [40, 45]])
    parts = np.array([[1, 5], [9, 12]])
    assert format_segments(parts) == "1-5;9-12"
    np.testing.assert_array_equal(parse_segments("1-5;9-12"), parts)


def test_clip_stage_counts_and_provenance(tiny_library, tmp_path):
    scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000)
    trim_library(tmp_path / "concat", tmp_path / "trim", TrimParams(min_silence_s=1.0))
    clips = clip_library(tmp_path / "concat", tmp_path / "trim", tmp_path / "clips", sample_rate=8000,
                         clip_seconds=2.5, hop_seconds=2.5)
    # Drone: per album 2 tracks x 6 s of tone = 12 s once the gaps go -> 4 clips of 2.5 s
    drone = clips[clips["genre"] == "Drone"]
    assert drone.groupby("group").size().tolist() == [4, 4, 4]
    assert set(drone["grouped_by"]) == {"album"}
    album = drone[drone["group"] == "Album 1"]
    # the 3rd clip, [5 s, 7.5 s) of trimmed audio, joins the end of track 1 and the start of track 2
    assert album["segments"].str.count(";").tolist() == [0, 0, 1, 0]
    assert album["track"].tolist() == ["Drone/Album 1/01 Track.wav"] * 2 + ["Drone/Album 1/02 Track.flac"] * 2
    # offsets within the majority track: its 1.5 s lead-in went with the gap
    assert album["track_offset_s"].tolist() == [1.5, 4.0, 1.5, 3.0]
    # Clicks: the click-free tail of each track joins the gap and goes, leaving < 12 s -> 4 clips too
    assert clips.groupby("genre").size().to_dict() == {"Clicks": 12, "Drone": 12, "Noise": 12}
    assert clips["clip_id"].tolist() == list(range(36))


def test_albums_and_genres_named_like_missing_values_keep_their_clips(tiny_library, tmp_path):
    # "None" is a Meshuggah EP; pandas would read these names as missing values and drop their clips
    for old, new in [("Drone/Album 0", "Drone/None"), ("Drone/Album 1", "Drone/NA"), ("Drone/Album 2", "Drone/null"),
                     ("Clicks/Album 0", "Clicks/NaN"), ("Noise", "None")]:
        (tiny_library / old).rename(tiny_library / new)
    scan_and_concat(tiny_library, tmp_path / "concat", sample_rate=8000)
    trim_library(tmp_path / "concat", tmp_path / "trim", TrimParams(min_silence_s=1.0))
    clips = clip_library(tmp_path / "concat", tmp_path / "trim", tmp_path / "clips", sample_rate=8000,
                         clip_seconds=2.5, hop_seconds=2.5)
    assert clips.groupby("genre").size().to_dict() == {"Clicks": 12, "Drone": 12, "None": 12}  # as with other names
    assert clips[clips["genre"] == "Drone"].groupby("group").size().to_dict() == {"NA": 4, "None": 4, "null": 4}
    assert sorted(set(clips[clips["genre"] == "Clicks"]["group"])) == ["Album 1", "Album 2", "NaN"]


def test_a_track_in_no_clip_is_listed_with_why():
    import pandas as pd

    from spectrogenre.clip import samples_in, tracks_without_clips

    # one group at 10 Hz: a 4 s track, a silent 2 s one (trim kept none of it), a 1 s one after them; clips of 2 s
    tracks = pd.DataFrame({"track": ["a.mp3", "silent.mp3", "tail.mp3"], "start": [0, 40, 60], "end": [40, 60, 70]})
    segments = np.array([[0, 40], [60, 70]])  # what trim kept
    clips = cut_clips(segments, clip_samples=20, hop_samples=20)  # [0, 20), [20, 40); the 1 s left is no clip
    used = sum(samples_in(parts, tracks) for parts in clips)
    assert used.tolist() == [40, 0, 0]
    assert tracks_without_clips(tracks, segments, used, sample_rate=10) == [
        {"track": "silent.mp3", "seconds": 2.0, "why": "all silence (trim cut it whole)"},
        {"track": "tail.mp3", "seconds": 1.0,
         "why": "1.0 s of sound once silences are cut, outside every clip of its group"}]
