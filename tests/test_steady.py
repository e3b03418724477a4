"""The steady-noise rule: stationary noise of any colour and level measures steady, music does not."""

import math

import numpy as np
import pytest

from spectrogenre.steady import SteadyNoiseRule, is_steady_noise, steadiness_db
from tests.synth import clicks, colored_noise, hum, melody, silence

RULE = SteadyNoiseRule()


def test_frames_and_bands_by_hand():
    # 0.128 s at 16 kHz is 2048 samples (a power of two already); bins are 16000 / 2048 = 7.8125 Hz apart
    assert RULE.frame_samples(16000) == 2048
    assert RULE.band_bins(16000) == [(128 * k, 128 * (k + 1)) for k in range(1, 8)]  # 1-2 kHz ... 7-8 kHz
    # 0.128 s at 22.05 kHz is 2822.4 samples: 4096; 1 kHz is bin 185.8 -> 186, 2 kHz bin 371.5 -> 372
    assert RULE.frame_samples(22050) == 4096
    assert RULE.band_bins(22050)[0] == (186, 372) and len(RULE.band_bins(22050)) == 7
    # at 8 kHz the bands stop at Nyquist (4 kHz): 1-2, 2-3, 3-4 kHz
    assert len(RULE.band_bins(8000)) == 3
    assert RULE.band_bins(2000) == []  # nothing above 1 kHz to measure


@pytest.mark.parametrize("sr", [16000, 22050])
@pytest.mark.parametrize("level_db", [-10, -25, -45])
@pytest.mark.parametrize("exponent", [0, 1, 2], ids=["white", "pink", "brown"])
def test_stationary_noise_is_steady_at_any_colour_and_level(exponent, level_db, sr):
    noise = colored_noise(15.0, exponent=exponent, sr=sr, level_db=level_db)
    # a band's level over ~150 bins varies by about 10 log10(e) / sqrt(150 / 1.5 (Hann)) = 0.43 dB
    assert 0.3 < steadiness_db(noise, sr, RULE) < 0.65
    assert is_steady_noise(noise, sr, RULE)


@pytest.mark.parametrize("sr", [16000, 22050])
def test_mains_hum_is_steady(sr):
    assert is_steady_noise(hum(15.0, sr=sr), sr, RULE)


@pytest.mark.parametrize("sr", [16000, 22050])
def test_music_changes(sr):
    # notes that start and decay 4 times a second: each band's level swings by many dB
    assert steadiness_db(melody(15.0, sr=sr), sr, RULE) > 3.0
    assert not is_steady_noise(melody(15.0, sr=sr), sr, RULE)
    # a click track over quiet noise: the bands jump at every click
    beat = clicks(15.0, sr=sr) + colored_noise(15.0, exponent=1, sr=sr, level_db=-50)
    assert not is_steady_noise(beat, sr, RULE)


def test_music_with_noise_under_it_is_still_music():
    sr = 16000
    mixed = melody(15.0, sr=sr) + colored_noise(15.0, exponent=1, sr=sr, level_db=-30)
    assert not is_steady_noise(mixed, sr, RULE)


def test_what_cannot_be_judged_is_not_called_noise():
    assert steadiness_db(colored_noise(0.2, exponent=0, sr=16000), 16000, RULE) == math.inf  # under 2 frames
    assert not is_steady_noise(colored_noise(15.0, exponent=0, sr=2000), 2000, RULE)  # no band at 2 kHz
    assert not is_steady_noise(colored_noise(15.0, exponent=0), 16000, SteadyNoiseRule(below_db=0))  # rule off
    # a bass line alone: above 1 kHz only 16-bit rounding, some 90 dB below the window: not judged
    bass = np.round(0.5 * np.sin(2 * np.pi * 80 * np.arange(15 * 16000) / 16000) * 32768) / 32768
    assert steadiness_db(bass.astype(np.float32), 16000, RULE) == math.inf


def test_a_silent_band_does_not_count():
    # noise low-passed below 3 kHz: the empty 3-8 kHz bands are more than span_db below the loudest, so the
    # median is over the 1-3 kHz bands, still steady
    sr = 16000
    noise = colored_noise(15.0, exponent=0, sr=sr)
    spectrum = np.fft.rfft(noise)
    spectrum[np.fft.rfftfreq(len(noise), 1 / sr) > 3000] = 0
    assert is_steady_noise(np.fft.irfft(spectrum, len(noise)).astype(np.float32), sr, RULE)
    assert steadiness_db(silence(15.0, sr=sr), sr, RULE) == 0.0  # every band at the floor: nothing moves
