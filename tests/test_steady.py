"""The steady-noise rule: stationary noise of any colour and level measures steady, music does not."""

import math

import numpy as np
import pytest

from spectrogenre.frontend import quantise_16bit
from spectrogenre.steady import SteadyNoiseRule, is_steady_noise, steadiness_db
from tests.synth import band_limited, clicks, colored_noise, hum, melody, silence, sine

RULE = SteadyNoiseRule()


def test_frames_and_bands_by_hand():
    # 0.128 s at 16 kHz is 2048 samples (a power of two already); bins are 16000 / 2048 = 7.8125 Hz apart:
    # the bass band 20 Hz (bin 2.56 -> 3) to 1 kHz (bin 128), then 1-2 kHz ... 7-8 kHz
    assert RULE.frame_samples(16000) == 2048
    assert RULE.band_bins(16000) == [(3, 128)] + [(128 * k, 128 * (k + 1)) for k in range(1, 8)]
    # 0.128 s at 22.05 kHz is 2822.4 samples: 4096; 20 Hz is bin 3.7 -> 4, 1 kHz bin 185.8 -> 186, 2 kHz bin 371.5 -> 372
    assert RULE.frame_samples(22050) == 4096
    assert RULE.band_bins(22050)[:2] == [(4, 186), (186, 372)] and len(RULE.band_bins(22050)) == 8
    # at 8 kHz the bands stop at Nyquist (4 kHz): bass, 1-2, 2-3, 3-4 kHz
    assert len(RULE.band_bins(8000)) == 4
    # at 2 kHz only the bass band, up to Nyquist: 0.128 s is 256 samples, 20 Hz bin 2.56 -> 3, 1 kHz bin 128
    assert RULE.band_bins(2000) == [(3, 128)]
    assert SteadyNoiseRule(floor_hz=1000.0).band_bins(2000) == []  # no bass band, nothing above 1 kHz


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
    assert steadiness_db(colored_noise(15.0, exponent=0, sr=2000), 2000, SteadyNoiseRule(floor_hz=1000.0)) == math.inf
    assert not is_steady_noise(colored_noise(15.0, exponent=0), 16000, SteadyNoiseRule(below_db=0))  # rule off


def test_white_noise_at_2_khz_is_judged_in_the_bass_band_alone():
    assert is_steady_noise(colored_noise(15.0, exponent=0, sr=2000), 2000, RULE)


@pytest.mark.parametrize("sr", [16000, 22050])
@pytest.mark.parametrize("hz", [30, 50, 80, 440, 1000])
@pytest.mark.parametrize("amplitude", [0.5, 0.005])
def test_a_held_tone_is_steady_at_any_pitch_and_level(hz, sr, amplitude):
    # its band's level is the same in every frame; the other bands hold only 16-bit rounding, ~90 dB (at 0.5)
    # or ~50 dB (at 0.005) below: either outside span_db or as steady as the rounding noise
    tone = quantise_16bit(sine(15.0, freq=hz, sr=sr, amp=amplitude))
    assert steadiness_db(tone, sr, RULE) < 0.1
    assert is_steady_noise(tone, sr, RULE)


@pytest.mark.parametrize("sr", [16000, 22050])
def test_a_bass_line_alone_is_music(sr):
    # notes of 41 to 98 Hz, a new one every 0.25 s, each decaying: the bass band's level swings by many dB
    notes = np.random.default_rng(0).choice([41.2, 49.0, 55.0, 65.4, 73.4, 98.0], size=60)
    t = np.arange(sr // 4) / sr
    line = np.concatenate([0.5 * np.sin(2 * np.pi * f * t) * np.exp(-8 * t) for f in notes]).astype(np.float32)
    assert steadiness_db(line, sr, RULE) > 3.0
    assert not is_steady_noise(line, sr, RULE)


def test_sound_only_above_the_bands_is_not_classified():
    # noise above 9.5 kHz swelling and fading 4 times a second (a smooth envelope, which adds nothing below
    # 9.5 kHz): changing, but nothing from 20 Hz to 8 kHz within span_db of it: 0, as steady as silence
    sr = 22050
    noise = band_limited(colored_noise(15.0, exponent=0, sr=sr, level_db=-20), sr=sr, above_hz=9500)
    chirps = noise * np.sin(np.pi * 4 * np.arange(len(noise)) / sr) ** 2
    assert steadiness_db(chirps.astype(np.float32), sr, RULE) == 0.0
    assert is_steady_noise(chirps.astype(np.float32), sr, RULE)


def test_a_silent_band_does_not_count():
    # noise low-passed below 3 kHz: the empty 3-8 kHz bands are more than span_db below the loudest, so the
    # median is over the 1-3 kHz bands, still steady
    sr = 16000
    noise = band_limited(colored_noise(15.0, exponent=0, sr=sr), sr=sr, below_hz=3000)
    assert is_steady_noise(noise.astype(np.float32), sr, RULE)
    assert steadiness_db(silence(15.0, sr=sr), sr, RULE) == 0.0  # every band at the floor: nothing moves


@pytest.mark.parametrize("sr", [16000, 22050])
def test_noise_of_any_colour_or_rhythm_has_few_tonal_peaks_music_many(sr):
    from spectrogenre.steady import is_noise, tonal_share

    # white noise: a bin stands 10 dB above its neighbours' median by chance, in about 0.2 % of bins
    assert 0.001 < tonal_share(colored_noise(15.0, exponent=0, sr=sr, level_db=-20), sr, RULE) < RULE.tonal_below
    gate = np.where((np.arange(15 * sr) // (sr // 8)) % 2 == 0, 1.0, 0.1)  # bursts: 4 a second
    for exponent in (0, 1, 2):  # and no more in noise of other colours, steady or in bursts
        noise = colored_noise(15.0, exponent=exponent, sr=sr, level_db=-20)
        for clip in (noise, noise * gate):
            assert tonal_share(quantise_16bit(clip), sr, RULE) < RULE.tonal_below
            assert is_noise(quantise_16bit(clip), sr, RULE)
    assert tonal_share(clicks(15.0, sr=sr), sr, RULE) == 0.0  # a click's spectrum is flat
    # notes with harmonics: peaks in a tenth of the bins or more
    assert tonal_share(melody(15.0, sr=sr), sr, RULE) > 0.1 and not is_noise(melody(15.0, sr=sr), sr, RULE)
    # a single sine pulsing 4 times a second (a held one would be steady): a few bins around it stand out in
    # every frame, of about 600 judged (16 kHz: 0.128 s is 2048 samples, 100 Hz to 5 kHz bins 15 to 640)
    pulse = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * np.arange(15 * sr) / sr)
    tone = quantise_16bit(0.3 * np.sin(2 * np.pi * 1000 * np.arange(15 * sr) / sr) * pulse)
    assert tonal_share(tone, sr, RULE) > 2 * RULE.tonal_below and not is_noise(tone, sr, RULE)
    # the rule off: bursts of noise are not steady, so not noise
    assert not is_noise(quantise_16bit(colored_noise(15.0, exponent=0, sr=sr, level_db=-20) * gate), sr,
                        SteadyNoiseRule(tonal_below=0.0))
    assert tonal_share(melody(0.1, sr=sr), sr, RULE) == math.inf  # shorter than a frame: cannot be judged
