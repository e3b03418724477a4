"""The front end's polyphase resampler: its filter, its definition, and scipy's resample_poly."""

import math

import numpy as np
import pytest

from spectrogenre.resampler import kaiser_lowpass, resample, resample_polyphase
from tests.synth import sine

SETTINGS = {"half_length_per_rate": 10, "beta": 5.0}


def test_halving_filter_has_41_taps_unit_gain_and_zeros_at_even_offsets():
    taps = kaiser_lowpass(1, 2, **SETTINGS)
    assert len(taps) == 41  # 2 x 10 x max(1, 2) + 1
    assert taps.sum() == pytest.approx(1.0)  # unit gain at DC, times up = 1
    np.testing.assert_allclose(taps, taps[::-1])  # linear phase
    # A half-band low-pass: sinc(k / 2) is zero at every even offset k != 0 from the centre.
    np.testing.assert_allclose(taps[20 + 2:: 2], 0.0, atol=1e-15)
    assert taps[20] == taps.max()


def test_doubling_an_impulse_traces_the_filter():
    # y[m] = sum_i x[i] h[half + m - 2 i]: one impulse at i = 30 gives y[60 + k] = h[half + k].
    audio = np.zeros(60, dtype=np.float32)
    audio[30] = 1.0
    taps = kaiser_lowpass(2, 1, **SETTINGS)  # 41 taps, half 20, summing to 2
    out = resample_polyphase(audio, 2, 1, **SETTINGS)
    assert len(out) == 120
    np.testing.assert_allclose(out[40:81], taps, atol=1e-7)
    assert out[60] == pytest.approx(1.0, abs=1e-3)  # the impulse itself passes at (almost) full height
    np.testing.assert_array_equal(out[:40], 0.0)
    np.testing.assert_array_equal(out[81:], 0.0)


@pytest.mark.parametrize("up, down", [(1, 2), (2, 1), (147, 320), (441, 640)])
def test_constant_stays_constant_away_from_the_edges(up, down):
    out = resample_polyphase(np.full(4000, 0.25, dtype=np.float32), up, down, **SETTINGS)
    assert len(out) == math.ceil(4000 * up / down)
    middle = out[len(out) // 4: 3 * len(out) // 4]
    np.testing.assert_allclose(middle, 0.25, atol=0.25 * 2e-3)  # each phase's taps sum to 1 within 0.2 %


@pytest.mark.parametrize("rate", [44100, 48000, 32000, 16000, 11025, 8000, 96000])
@pytest.mark.parametrize("n", [0, 1, 37, 20000])
def test_is_scipys_resample_poly_summed_in_float64(rate, n):
    from scipy.signal import resample_poly

    divisor = math.gcd(rate, 22050)
    up, down = 22050 // divisor, rate // divisor
    audio = np.random.default_rng(n).uniform(-1, 1, n).astype(np.float32)
    expected = resample_poly(audio.astype(np.float64), up, down, window=("kaiser", 5.0)).astype(np.float32)
    out = resample_polyphase(audio, up, down, **SETTINGS)
    assert out.dtype == np.float32 and out.shape == expected.shape
    # Both sum in float64 (in different orders) and round once: equal but for a rare tie.
    np.testing.assert_array_max_ulp(out, expected, maxulp=1)
    assert np.count_nonzero(out != expected) <= len(out) // 1000


def test_resample_halves_44100_to_22050_and_keeps_the_tone():
    out = resample(sine(1.0, freq=440.0, sr=44100), orig_sr=44100, target_sr=22050)
    assert len(out) == 22050
    spectrum = np.abs(np.fft.rfft(out))
    assert int(np.argmax(spectrum)) == 440  # 1 s of audio: 1 Hz per bin
