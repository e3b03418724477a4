"""The steady-noise rule: stationary noise of any colour and level measures steady, music does not."""

import math

import numpy as np
import pytest

from spectrogenre.frontend import quantise_16bit
from spectrogenre.steady import (
    SteadyNoiseRule,
    is_noise,
    is_steady_noise,
    rich_share,
    steadiness_db,
)
from tests.synth import (
    alarm,
    band_limited,
    beeps,
    chord_progression,
    clicks,
    colored_noise,
    dtmf,
    flute,
    hum,
    melody,
    music_box,
    note_with_drums,
    phone_tone,
    piano,
    plucked_arpeggio,
    silence,
    sine,
    two_tone_siren,
    wailing_siren,
)

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
    from spectrogenre.steady import tonal_share

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
    assert tonal_share(tone, sr, RULE) > 2 * RULE.tonal_below and not is_noise(tone, sr, SteadyNoiseRule(rich_below=0))
    assert is_noise(tone, sr, RULE)  # pitch, but one tone alone: a signal (the tone rule, tests below)
    # the rule off: bursts of noise are not steady, so not noise
    assert not is_noise(quantise_16bit(colored_noise(15.0, exponent=0, sr=sr, level_db=-20) * gate), sr,
                        SteadyNoiseRule(tonal_below=0.0))
    assert tonal_share(melody(0.1, sr=sr), sr, RULE) == math.inf  # shorter than a frame: cannot be judged


# The tone rule: a window of one or two tones at a time (beeps, sirens, phone tones) is a signal, not music.
SIGNALS = {
    "sine beeps 300 Hz, 1 a second": lambda sr: beeps(sr=sr, freq=300.0, rate_hz=1.0),
    "sine beeps 1 kHz, 2 a second, -40 dBFS": lambda sr: beeps(sr=sr, freq=1000.0, rate_hz=2.0, level_db=-40.0),
    "sine beeps 3 kHz, 8 a second, -10 dBFS": lambda sr: beeps(sr=sr, freq=3000.0, rate_hz=8.0, level_db=-10.0),
    "sine beeps 700 Hz, 4 a second, 25 % on": lambda sr: beeps(sr=sr, freq=700.0, rate_hz=4.0, duty=0.25),
    "square beeps 300 Hz, 3 a second, 70 % on": lambda sr: beeps(sr=sr, freq=300.0, rate_hz=3.0, duty=0.7, wave="square"),
    "square beeps 1 kHz, 4 a second, 25 % on": lambda sr: beeps(sr=sr, freq=1000.0, rate_hz=4.0, duty=0.25, wave="square"),
    "square beeps 2 kHz, 8 a second, -40 dBFS": lambda sr: beeps(sr=sr, freq=2000.0, rate_hz=8.0, level_db=-40.0,
                                                                  wave="square"),
    "alarm clock": lambda sr: alarm(sr=sr),
    "two-tone siren, 0.5 s": lambda sr: two_tone_siren(sr=sr, each_s=0.5),
    "two-tone siren, 1 s, square": lambda sr: two_tone_siren(sr=sr, each_s=1.0, wave="square"),
    "wailing siren": lambda sr: wailing_siren(sr=sr),
    "DTMF digits": lambda sr: dtmf(sr=sr),
    "ring": lambda sr: phone_tone(sr=sr),
    "busy": lambda sr: phone_tone(sr=sr, freqs=(480.0, 620.0), on_s=0.5, off_s=0.5),
}
SPARSE_MUSIC = {"music box": music_box, "piano": piano, "flute": flute, "a note with drums": note_with_drums,
                "plucked arpeggio": plucked_arpeggio, "chord progression": chord_progression}


@pytest.mark.parametrize("sr", [16000, 22050])
@pytest.mark.parametrize("name", list(SIGNALS))
def test_signal_tones_have_no_rich_frame(name, sr):
    # every loud frame holds one or two lines (a square wave's harmonics are its one tone): no rich frame, but
    # for one in 20 at most that a tone starts or stops in, its line smeared (the ring at 16 kHz: 1 of 49)
    clip = quantise_16bit(SIGNALS[name](sr))
    assert rich_share(clip, sr, RULE) < 0.05
    assert is_noise(clip, sr, RULE)


@pytest.mark.parametrize("sr", [16000, 22050])
@pytest.mark.parametrize("name", ["sine beeps 1 kHz, 2 a second, -40 dBFS", "square beeps 1 kHz, 4 a second, 25 % on",
                                  "alarm clock", "DTMF digits", "ring", "busy"])
def test_signal_tones_changing_are_noise_by_the_tone_rule_alone(name, sr):
    # switched on and off, they are neither steady nor short of pitch: without the tone rule, music
    clip = quantise_16bit(SIGNALS[name](sr))
    assert not is_noise(clip, sr, SteadyNoiseRule(rich_below=0.0))
    assert is_noise(clip, sr, SteadyNoiseRule(below_db=0.0, tonal_below=0.0))


@pytest.mark.parametrize("sr", [16000, 22050])
def test_signal_tones_over_noise_30_db_below_are_noise(sr):
    # the noise adds no line (a chance peak stands 15 dB over its neighbours' median in about 1 bin of 10^9)
    # and holds a thousandth of each frame's energy
    for clip in (beeps(sr=sr, freq=3000.0, noise_db=30), alarm(sr=sr, noise_db=30), dtmf(sr=sr, noise_db=30, seed=1),
                 wailing_siren(sr=sr, period_s=6.0, noise_db=30), phone_tone(sr=sr, start_s=3.0, noise_db=30)):
        clip = quantise_16bit(clip)
        assert rich_share(clip, sr, RULE) < 0.05 and is_noise(clip, sr, RULE)


@pytest.mark.parametrize("sr", [16000, 22050])
@pytest.mark.parametrize("name", list(SPARSE_MUSIC))
def test_sparse_music_is_rich(name, sr):
    # notes ringing under the next (music box, piano, plucks), a melody's changing overtones (flute), chords, drums:
    # nearly every loud frame holds more than two tones or more than tones
    clip = quantise_16bit(SPARSE_MUSIC[name](sr=sr))
    assert rich_share(clip, sr, RULE) > 0.9
    assert not is_noise(clip, sr, RULE)


def test_where_the_line_between_signal_and_melody_falls():
    sr = 16000
    # pure sines one at a time, at constant level: a signal whatever their pitches (four notes, switched like beeps)
    notes = np.concatenate([beeps(0.5, sr=sr, freq=880.0 * 2 ** (n / 12), rate_hz=2.0, duty=0.8) for n in [0, 4, 7, 12] * 8])
    assert rich_share(quantise_16bit(notes), sr, RULE) == 0.0
    # the same sines struck and ringing on under the next: a music box, music (3 to 5 lines a frame)
    assert rich_share(quantise_16bit(music_box(sr=sr)), sr, RULE) > 0.9
    # a tone with overtones at two pitches (a two-tone horn) is a signal; a melody of such tones is music, unless
    # two of its pitches hold 80 % of its energy (then its frames on those two pitches count as the horn's)
    assert rich_share(quantise_16bit(two_tone_siren(sr=sr, wave="square")), sr, RULE) == 0.0
    assert rich_share(quantise_16bit(flute(sr=sr)), sr, RULE) == 1.0


def test_fixed_tones_by_hand():
    sr = 16000
    square = beeps(sr=sr, freq=1000.0, wave="square")  # lines at 1, 3 and 5 kHz (the top): its harmonics
    assert rich_share(quantise_16bit(square), sr, RULE) == 0.0
    # two sines with it, 1.5 and 2.2 kHz (12 dB down), no harmonics of 1 kHz: the stronger is the second fixed
    # tone, the other a third tone in every frame that sounds: rich, all but a few a beep starts or stops in
    t = np.arange(15 * sr) / sr
    gate = (t * 2) % 1 < 0.5
    two = (square + 0.03 * np.sin(2 * np.pi * 1500 * t) * gate).astype(np.float32)
    assert rich_share(quantise_16bit(two), sr, RULE) == 0.0
    three = (two + 0.029 * np.sin(2 * np.pi * 2200 * t) * gate).astype(np.float32)
    assert rich_share(quantise_16bit(three), sr, RULE) > 0.9
    # a fixed tone below tone_low_hz (a 150 Hz buzzer: a bass line to the rule) is not one: rich (its harmonics
    # are lines), but for a frame or two a beep starts or stops in
    assert rich_share(quantise_16bit(beeps(sr=sr, freq=150.0, wave="square")), sr, RULE) > 0.9
    assert rich_share(quantise_16bit(square), sr, SteadyNoiseRule(tone_low_hz=1500.0)) > 0.9


def test_what_the_tone_rule_cannot_judge_is_not_called_noise():
    assert rich_share(melody(0.1, sr=16000), 16000, RULE) == math.inf  # shorter than a frame
    assert rich_share(silence(15.0, sr=16000), 16000, RULE) == math.inf  # no sound from 100 Hz to 5 kHz
    clip = quantise_16bit(beeps(sr=16000))
    assert not is_noise(clip, 16000, SteadyNoiseRule(below_db=0.0, tonal_below=0.0, rich_below=0.0))  # all off
