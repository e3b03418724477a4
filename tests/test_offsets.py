import numpy as np
import pandas as pd
import soundfile as sf

from spectrogenre.clip import clip_at, cut_clips
from spectrogenre.frontend import Frontend, log_spectrogram
from spectrogenre.offsets import RandomOffsetClips, offsets_for_training


def test_clip_at_maps_a_trimmed_position_to_source_intervals():
    segments = np.array([[0, 10], [20, 30], [50, 60]])  # 30 trimmed samples
    np.testing.assert_array_equal(clip_at(segments, 5, clip_samples=10), [[5, 10], [20, 25]])
    np.testing.assert_array_equal(clip_at(segments, 12, clip_samples=5), [[22, 27]])
    np.testing.assert_array_equal(clip_at(segments, 20, clip_samples=10), [[50, 60]])
    cuts = cut_clips(segments, clip_samples=10, hop_samples=10)
    assert [c.tolist() for c in cuts] == [[[0, 10]], [[20, 30]], [[50, 60]]]


def write_project(tmp_path):
    """One genre file: album A is samples 0-4000 (a ramp), album B 4000-8000; trim kept all but 1000-2000."""
    audio = (np.arange(8000) / 8000.0 * 0.5).astype(np.float32)
    sf.write(tmp_path / "genre-000.flac", audio, 1000, subtype="PCM_16")
    pd.DataFrame({"genre": "g", "genre_file": "genre-000.flac", "group": ["A", "B"], "track": ["a", "b"],
                  "artist": "", "start": [0, 4000], "end": [4000, 8000]}).to_csv(tmp_path / "index.csv", index=False)
    pd.DataFrame({"genre_file": "genre-000.flac", "start": [0, 2000], "end": [1000, 8000]}).to_csv(
        tmp_path / "kept.csv", index=False)
    clips = pd.DataFrame({"clip_id": [0, 1, 2], "genre_file": "genre-000.flac", "group": ["A", "A", "B"],
                          "label": [0, 0, 1]})
    return audio, clips


def test_each_epoch_draws_the_fixed_count_per_album_inside_its_kept_audio(tmp_path):
    _, clips = write_project(tmp_path)
    frontend = Frontend(sample_rate=1000, clip_seconds=1.0, n_fft=64, hop_length=32)
    source = RandomOffsetClips(tmp_path, tmp_path, clips, frontend)
    assert source.n_clips == 3
    drawn = source.draw(np.random.default_rng(0))
    by_label = sorted(label for _, _, label in drawn)
    assert by_label == [0, 0, 1]
    for _, parts, label in drawn:
        assert (parts[:, 1] - parts[:, 0]).sum() == 1000
        inside = (parts[:, 0] >= 0) & (parts[:, 1] <= 4000) if label == 0 else (parts[:, 0] >= 4000)
        assert inside.all()
        assert not ((parts[:, 0] < 2000) & (parts[:, 1] > 1000)).any()  # never the trimmed-out second
    other = source.draw(np.random.default_rng(1))
    assert [p.tolist() for _, p, _ in drawn] != [p.tolist() for _, p, _ in other]


def test_batches_are_the_spectrograms_of_the_drawn_audio(tmp_path):
    audio, clips = write_project(tmp_path)
    frontend = Frontend(sample_rate=1000, clip_seconds=1.0, n_fft=64, hop_length=32)
    source = RandomOffsetClips(tmp_path, tmp_path, clips, frontend)
    drawn = source.draw(np.random.default_rng(0))
    (x, y), = list(source.batches(np.random.default_rng(0), batch_size=8))
    assert x.shape == (3, *frontend.shape) and y.tolist() == [label for _, _, label in drawn]
    _, parts, _ = drawn[0]
    samples = np.round(np.concatenate([audio[s:e] for s, e in parts]) * 32768) / 32768  # 16-bit FLAC steps
    np.testing.assert_allclose(x[0], log_spectrogram(samples, frontend), atol=0.05)


def test_training_clips_of_a_split_find_their_genre_file_through_the_clip_stage(tmp_path):
    _, clips = write_project(tmp_path)
    clips.to_csv(tmp_path / "clips.csv", index=False)
    frontend = Frontend(sample_rate=1000, clip_seconds=1.0, n_fft=64, hop_length=32)
    offsets_for = offsets_for_training(tmp_path, tmp_path, tmp_path, frontend)
    # a fold's training clips as the split stage lists them: no genre_file column; album B's clip alone
    source = offsets_for(clips.drop(columns="genre_file").iloc[[2]])
    assert source.n_clips == 1
    (genre_file, _, label), = source.draw(np.random.default_rng(0))
    assert (genre_file, label) == ("genre-000.flac", 1)
