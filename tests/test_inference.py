import numpy as np
import pytest

from spectrogenre.frontend import Frontend
from spectrogenre.inference import windows
from spectrogenre.params import TrimParams
from tests.synth import silence, sine

FRONTEND = Frontend(sample_rate=1000, clip_seconds=15.0, n_fft=64, hop_length=100)
SILENCE = TrimParams(min_silence_s=1.0, threshold_db=-50.0, frame_seconds=0.02)


def test_windows_slide_over_the_whole_song():
    bounds, clips = windows(sine(40, sr=1000, freq=50), frontend=FRONTEND, silence=SILENCE, hop_seconds=7.5)
    assert bounds.tolist() == [[0.0, 15.0], [7.5, 22.5], [15.0, 30.0], [22.5, 37.5]]  # 22.5 + 15 = 37.5 <= 40; 30 + 15 > 40
    assert clips.shape == (4, 15000)


def test_long_silences_are_cut_as_in_training():
    song = np.concatenate([sine(20, sr=1000, freq=50), silence(3, sr=1000), sine(17, sr=1000, freq=50)])
    bounds, clips = windows(song, frontend=FRONTEND, silence=SILENCE, hop_seconds=7.5)
    # 37 s remain: windows at 0, 7.5, 15 (22.5 + 15 > 37); the 2nd and 3rd jump the 3 s gap
    assert bounds.tolist() == [[0.0, 15.0], [7.5, 25.5], [15.0, 33.0]]
    assert not np.any(np.all(clips[2].reshape(-1, 100) == 0, axis=1))  # no silent 0.1 s left in it


def test_a_slightly_short_recording_is_padded_a_too_short_one_refused():
    bounds, clips = windows(sine(14.5, sr=1000, freq=50), frontend=FRONTEND, silence=SILENCE, hop_seconds=7.5)
    assert bounds.tolist() == [[0.0, 15.0]] and clips.shape == (1, 15000) and not clips[0, -400:].any()
    with pytest.raises(ValueError, match=r"too short: 10.0 s of audio \(10.0 s once silences are cut\), needs 15 s"):
        windows(sine(10, sr=1000, freq=50), frontend=FRONTEND, silence=SILENCE, hop_seconds=7.5)
