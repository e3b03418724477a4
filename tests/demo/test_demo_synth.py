"""Primitives with hand-checkable answers: oscillators, envelopes, filters, timing."""

from __future__ import annotations

import numpy as np
import pytest

from spectrogenre.demo import synth
from spectrogenre.demo.master import gate, soft_limit
from spectrogenre.demo.sequencer import Timing, pattern_beats, render_hits

SR = 22050


def _spectrum_db(x: np.ndarray) -> np.ndarray:
    return 20 * np.log10(np.abs(np.fft.rfft(x * np.hanning(len(x)))) + 1e-12)


def test_sine_at_440_hz_peaks_in_the_440_hz_bin():
    x = synth.sine(440.0, SR, SR)  # one second: bins are 1 Hz apart
    assert abs(int(np.argmax(_spectrum_db(x))) - 440) <= 1
    assert np.max(np.abs(x)) == pytest.approx(1.0, abs=1e-6)


def test_saw_has_all_harmonics_falling_as_one_over_k():
    spectrum = _spectrum_db(synth.saw(200.0, SR, SR))
    levels = np.array([spectrum[200 * k] for k in (1, 2, 3, 4)])
    assert np.allclose(levels - levels[0], 20 * np.log10(1 / np.array([1, 2, 3, 4])), atol=0.5)


def test_square_has_only_odd_harmonics():
    spectrum = _spectrum_db(synth.square(200.0, SR, SR))
    assert spectrum[400] < spectrum[200] - 40
    assert spectrum[600] == pytest.approx(spectrum[200] + 20 * np.log10(1 / 3), abs=0.5)


def test_adsr_starts_and_ends_at_zero_and_peaks_at_one():
    env = synth.adsr(SR, SR, attack=0.1, decay=0.1, sustain=0.5, release=0.2)
    assert env[0] == 0.0 and env[-1] == pytest.approx(0.0, abs=1e-3)
    assert env.max() == pytest.approx(1.0, abs=1e-3)
    assert env[int(0.5 * SR)] == pytest.approx(0.5)


def test_lowpass_keeps_the_bass_and_removes_the_treble():
    low, high = synth.sine(100.0, SR, SR), synth.sine(5000.0, SR, SR)
    assert np.std(synth.lowpass(low, 500.0, SR)) == pytest.approx(np.std(low), rel=0.05)
    assert np.std(synth.lowpass(high, 500.0, SR)) < 0.01 * np.std(high)


def test_wavetable_plays_its_harmonics():
    table = synth.harmonic_table({1: 1.0, 3: 0.5})
    spectrum = _spectrum_db(synth.wavetable(table, 100.0, SR, SR))
    assert spectrum[300] == pytest.approx(spectrum[100] + 20 * np.log10(0.5), abs=0.5)
    assert spectrum[200] < spectrum[100] - 40


def test_timing_puts_swung_offbeats_on_the_triplet():
    straight = Timing(120.0)
    assert straight.seconds(1.0) == pytest.approx(0.5)
    assert straight.bar_seconds == pytest.approx(2.0)
    shuffle = Timing(120.0, swing=2 / 3)
    assert shuffle.seconds(0.5) == pytest.approx(2 / 3 * 0.5)
    assert shuffle.seconds(1.0) == pytest.approx(0.5)
    sixteenths = Timing(120.0, swing=0.6, swing_unit=0.25)
    assert sixteenths.seconds(0.25) == pytest.approx(0.6 * 0.25)


def test_pattern_beats_and_hits():
    beats, vels = pattern_beats("x...X...o.......", [0, 2])
    assert beats.tolist() == [0.0, 1.0, 2.0, 8.0, 9.0, 10.0]
    assert vels.tolist() == [0.75, 1.0, 0.35] * 2
    track = render_hits(np.array([1.0, 0.5]), np.array([0.0, 0.5]), np.array([1.0, 0.5]), n=100, sr=100)
    assert track[[0, 1, 50, 51]].tolist() == [1.0, 0.5, 0.5, 0.25]
    assert track.sum() == pytest.approx(2.25)


def test_soft_limit_and_gate():
    x = np.linspace(-3, 3, 1001)
    y = soft_limit(x, knee=0.5)
    assert np.max(np.abs(y)) <= 1.0 and np.all(np.diff(y) >= 0)
    assert y[500 + 50] == pytest.approx(x[500 + 50] / 3)  # below the knee only scaled
    g = gate(1000, 100, [(2.0, 3.0)])
    assert g[:190].min() == 1.0 and g[210:490].max() == 0.0 and g[510:].min() == 1.0
