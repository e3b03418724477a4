"""Musical facts of the recipes, measured on their audio the way a listener would."""

from __future__ import annotations

import dataclasses

import librosa
import numpy as np
import pytest

from spectrogenre.demo import GENRES
from spectrogenre.demo.genres import SPECS, sample_style
from spectrogenre.demo.genres.base import MIX_SR
from spectrogenre.demo.library import plan_library, render_track
from spectrogenre.demo.master import master


def _render(genre: str, seed: int, seconds: float) -> tuple[np.ndarray, float]:
    """Mono music of one album style of `genre`, and the style's tempo."""
    rng = np.random.default_rng(seed)
    style = sample_style(SPECS[genre], rng)
    return SPECS[genre].render(style, seconds=seconds, sr=MIX_SR, rng=rng).mean(axis=1), style.tempo


def _percussive_ratio(y: np.ndarray) -> float:
    harmonic, percussive = librosa.effects.hpss(y)
    return float(np.sum(percussive**2) / np.sum(harmonic**2))


def test_every_genre_spec_matches_its_name():
    assert tuple(SPECS) == GENRES
    assert all(name == spec.name for name, spec in SPECS.items())


@pytest.mark.parametrize("genre", GENRES)
def test_every_recipe_renders_finite_stereo_music(genre):
    rng = np.random.default_rng(0)
    music = SPECS[genre].render(sample_style(SPECS[genre], rng), seconds=6.0, sr=MIX_SR, rng=rng)
    assert music.shape == (6 * MIX_SR, 2)
    assert np.all(np.isfinite(music))
    assert np.sqrt(np.mean(music**2)) > 1e-3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_house_tempo_is_heard_at_the_album_tempo(seed):
    y, tempo = _render("House", seed, 20.0)
    assert 118.0 < tempo < 130.0
    heard = float(librosa.feature.tempo(y=y, sr=MIX_SR)[0])
    ratios = np.array([heard / tempo, 2 * heard / tempo, heard / (2 * tempo)])
    assert np.min(np.abs(ratios - 1.0)) < 0.04, (heard, tempo)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_classical_has_no_drums_but_house_does(seed):
    classical, _ = _render("Classical", seed, 12.0)
    house, _ = _render("House", seed, 12.0)
    # Harmonic/percussive separation: strings are almost purely harmonic.
    assert _percussive_ratio(classical) < 0.02
    assert _percussive_ratio(house) > 0.1
    # No sharp onsets: the onset strength never spikes far above its typical value.
    envelope = librosa.onset.onset_strength(y=classical, sr=MIX_SR)
    assert np.percentile(envelope, 99) < 4 * np.median(envelope)


def test_classical_has_quiet_but_not_silent_passages():
    job = next(j for j in plan_library(seed=0, track_seconds=(55.0, 60.0)) if j.genre == "Classical")
    audio = render_track(dataclasses.replace(job, sr=22050, channels=1))[:, 0]
    window = 22050 // 2
    m = len(audio) // window
    rms_db = 20 * np.log10(np.sqrt(np.mean(audio[: m * window].reshape(m, window) ** 2, axis=1)) + 1e-12)
    music = rms_db[8:-10]  # skip the lead-in (<= 3 s + fade-in) and the fade-out + lead-out
    assert music.max() > -20.0
    assert -50.0 < music.min() < -33.0


def test_master_adds_silences_levels_and_breaks():
    sr, rng = 8000, np.random.default_rng(0)
    music = np.random.default_rng(1).uniform(-1, 1, (10 * sr, 2))
    out = master(music, sr=sr, out_sr=16000, rng=rng, tilt_db=2.0, knee=0.6, level_db=-3.0, lead_in=1.5,
                 lead_out=2.0, fade_out=2.0, breaks=[(4.0, 0.5)], channels=1)
    assert out.shape == (int((1.5 + 10.0 + 2.0) * 16000), 1)
    assert np.max(np.abs(out)) == pytest.approx(10 ** (-3 / 20), abs=1e-3)  # + the -80 dB noise floor
    assert not out[: int(1.5 * 16000)].any() and not out[-2 * 16000:].any()  # digital gaps by default
    # The break is below -60 dBFS once the resampler's ringing (a few ms) has passed.
    brk = out[int((1.5 + 4.0 + 0.02) * 16000): int((1.5 + 4.5 - 0.02) * 16000)]
    assert np.max(np.abs(brk)) < 1e-3
    assert np.abs(out[int((1.5 + 3.0) * 16000): int((1.5 + 3.9) * 16000)]).max() > 0.1
