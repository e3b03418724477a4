import dataclasses

import numpy as np

from spectrogenre.augment import augment_batch
from spectrogenre.params import TrainParams

OFF = TrainParams()


def batch(n=4, bins=6, frames=10):
    x = np.arange(n * bins * frames, dtype=np.float32).reshape(n, bins, frames) % 7 - 60.0
    return x, np.arange(n) % 3


def test_nothing_changes_when_every_augmentation_is_off():
    x, y = batch()
    out, targets = augment_batch(x, y, n_genres=3, params=OFF, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(targets, np.eye(3)[y])


def test_gain_shifts_each_clip_by_one_level_within_the_range():
    x, y = batch()
    out, _ = augment_batch(x, y, n_genres=3, params=dataclasses.replace(OFF, gain_db=6.0), rng=np.random.default_rng(0))
    shift = out - x
    per_clip = shift[:, 0, 0]
    np.testing.assert_allclose(shift, per_clip[:, None, None] * np.ones_like(x), atol=1e-5)
    assert np.all(np.abs(per_clip) <= 6.0) and len(set(per_clip.round(4))) == 4


def test_masks_set_whole_bands_to_the_clips_mean_level():
    x, y = batch(n=1, bins=6, frames=10)
    params = dataclasses.replace(OFF, time_masks=1, time_mask_frames=10, freq_masks=0)
    for seed in range(20):
        out, _ = augment_batch(x, y, n_genres=3, params=params, rng=np.random.default_rng(seed))
        changed = np.flatnonzero((out != x).any(axis=(0, 1)))  # masked frames
        if len(changed):
            assert np.all(out[0][:, changed] == x.mean())
            assert changed.tolist() == list(range(changed[0], changed[-1] + 1))  # one contiguous band
    params = dataclasses.replace(OFF, freq_masks=1, freq_mask_bins=6)
    out, _ = augment_batch(x, y, n_genres=3, params=params, rng=np.random.default_rng(3))
    masked_bins = np.flatnonzero((out != x).any(axis=(0, 2)))
    assert np.all(out[0][masked_bins] == x.mean())


def test_mixup_mixes_clips_and_labels_with_the_same_weight():
    x = np.stack([np.full((2, 3), 0.0), np.full((2, 3), 10.0)]).astype(np.float32)
    y = np.array([0, 1])
    out, targets = augment_batch(x, y, n_genres=2, params=dataclasses.replace(OFF, mixup_alpha=0.4),
                                 rng=np.random.default_rng(1))
    np.testing.assert_allclose(targets.sum(axis=1), 1.0, atol=1e-6)
    # a clip's level is 10 x its weight of genre 1 (clip 1 is all 10 dB, clip 0 all 0 dB)
    np.testing.assert_allclose(out[:, 0, 0], 10 * targets[:, 1], atol=1e-4)
