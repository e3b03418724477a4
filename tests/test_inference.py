import numpy as np
import pytest

from spectrogenre.frontend import Frontend
from spectrogenre.inference import windows
from spectrogenre.params import TrimParams
from spectrogenre.steady import SteadyNoiseRule
from tests.synth import colored_noise, hum, melody, silence, sine

FRONTEND = Frontend(sample_rate=1000, clip_seconds=15.0, n_fft=64, hop_length=100)
SILENCE = TrimParams(min_silence_s=1.0, threshold_db=-50.0, frame_seconds=0.02)


def test_windows_slide_over_the_whole_song():
    bounds, clips = windows(sine(40, sr=1000, freq=50), frontend=FRONTEND, silence=SILENCE, hop_seconds=7.5, short_tolerance_s=1.0)
    assert bounds.tolist() == [[0.0, 15.0], [7.5, 22.5], [15.0, 30.0], [22.5, 37.5]]  # 22.5 + 15 = 37.5 <= 40; 30 + 15 > 40
    assert clips.shape == (4, 15000)


def test_long_silences_are_cut_as_in_training():
    song = np.concatenate([sine(20, sr=1000, freq=50), silence(3, sr=1000), sine(17, sr=1000, freq=50)])
    bounds, clips = windows(song, frontend=FRONTEND, silence=SILENCE, hop_seconds=7.5, short_tolerance_s=1.0)
    # 37 s remain: windows at 0, 7.5, 15 (22.5 + 15 > 37); the 2nd and 3rd jump the 3 s gap
    assert bounds.tolist() == [[0.0, 15.0], [7.5, 25.5], [15.0, 33.0]]
    assert not np.any(np.all(clips[2].reshape(-1, 100) == 0, axis=1))  # no silent 0.1 s left in it


def test_a_slightly_short_recording_is_padded_a_too_short_one_refused():
    bounds, clips = windows(sine(14.5, sr=1000, freq=50), frontend=FRONTEND, silence=SILENCE, hop_seconds=7.5, short_tolerance_s=1.0)
    assert bounds.tolist() == [[0.0, 15.0]] and clips.shape == (1, 15000) and not clips[0, -400:].any()
    with pytest.raises(ValueError, match=r"too short: 10.0 s of audio \(10.0 s once silences are cut\), needs at "
                                         r"least 14 s$"):  # 15 s less the 1 s tolerance, which 14.5 s was within
        windows(sine(10, sr=1000, freq=50), frontend=FRONTEND, silence=SILENCE, hop_seconds=7.5, short_tolerance_s=1.0)
    with pytest.raises(ValueError, match=r"too short: 13.9 s of audio .*, needs at least 14 s$"):
        windows(sine(13.9, sr=1000, freq=50), frontend=FRONTEND, silence=SILENCE, hop_seconds=7.5, short_tolerance_s=1.0)


class LevelModel:
    """A stand-in model whose 'A' probability is fixed per call: enough to check the verdict rule by hand."""

    def __init__(self, p_a: float):
        self.p_a, self.calls = p_a, 0

    def predict(self, spectrograms):
        self.calls += len(spectrograms)
        return np.tile([self.p_a, 1 - self.p_a], (len(spectrograms), 1)).astype(np.float32)


def exported_with(model, *, unsure_below=0.5, temperature=1.0, steady_below_db=0.0, tonal_below=0.0, rich_below=0.0,
                  sample_rate=8000, min_sound_fraction=0.5):
    """An export around a stand-in model. The noise rules are off unless asked for: steady sines stand in
    for music in these tests, and the rules rightly call a constant tone noise."""
    from spectrogenre.inference import ExportedModel

    return ExportedModel(labels=("A", "B"), frontend=Frontend(sample_rate=sample_rate, clip_seconds=2.0, n_fft=256,
                                                                hop_length=128),
                         silence=TrimParams(), unsure_below=unsure_below, temperature=temperature, hop_seconds=2.0,
                         short_tolerance_s=1.0, min_sound_fraction=min_sound_fraction, kind="test", version="test",
                         model=model,
                         steady_noise=SteadyNoiseRule(below_db=steady_below_db, tonal_below=tonal_below,
                                                      rich_below=rich_below))


@pytest.mark.parametrize("audio", [
    silence(20.0),                                                        # digital silence
    np.random.default_rng(0).normal(0, 10 ** (-60 / 20), 8000 * 20).astype(np.float32),  # room tone at -60 dBFS
    np.full(8000 * 20, 0.5, dtype=np.float32),  # a constant offset (DC): -6 dBFS by plain RMS, and no sound
    np.random.default_rng(0).normal(-0.3, 10 ** (-60 / 20), 8000 * 20).astype(np.float32),  # room tone on an offset
], ids=["digital silence", "-60 dBFS noise", "DC offset", "-60 dBFS noise on a DC offset"])
def test_silence_and_near_silence_get_no_music_heard_never_a_genre(audio):
    from spectrogenre.inference import classify

    model = LevelModel(0.99)
    verdict = classify(audio, exported_with(model), hop_seconds=2.0)
    assert (verdict.status, verdict.genre, verdict.shown, verdict.probabilities) == (
        "no music heard", None, "no music heard", {})
    assert model.calls == 0  # nothing near-silent reaches the model
    assert {w["genre"] for w in verdict.windows} == {"no music heard"}


@pytest.mark.parametrize("level_db", [-10, -30, -45])
@pytest.mark.parametrize("kind", ["white", "pink", "brown", "hum", "tone"])
def test_noise_at_any_level_gets_no_music_heard_never_a_genre(kind, level_db):
    from spectrogenre.inference import classify

    if kind == "tone":  # a held 440 Hz test tone
        audio = sine(20.0, freq=440.0, sr=16000, amp=10 ** (level_db / 20) * np.sqrt(2))
    elif kind == "hum":
        audio = hum(20.0, sr=16000, level_db=level_db)
    else:
        audio = colored_noise(20.0, exponent=["white", "pink", "brown"].index(kind), sr=16000, level_db=level_db)
    model = LevelModel(0.99)  # a model that would call anything "A", 99 % sure
    verdict = classify(audio, exported_with(model, steady_below_db=0.75, sample_rate=16000), hop_seconds=2.0)
    assert (verdict.status, verdict.genre, verdict.probabilities) == ("no music heard", None, {})
    assert model.calls == 0


@pytest.mark.parametrize("kind", ["beeps", "square beeps", "DTMF", "busy"])
def test_signal_tones_get_no_music_heard_and_a_music_box_its_genre(kind):
    from spectrogenre.inference import classify
    from tests.synth import beeps, dtmf, music_box, phone_tone

    sr = 16000
    audio = {"beeps": lambda: beeps(20.0, sr=sr), "square beeps": lambda: beeps(20.0, sr=sr, freq=700.0, wave="square"),
             "DTMF": lambda: dtmf(20.0, sr=sr),
             "busy": lambda: phone_tone(20.0, sr=sr, freqs=(480.0, 620.0), on_s=0.5, off_s=0.5)}[kind]()
    model = LevelModel(0.99)  # a model that would call anything "A", 99 % sure
    exported = exported_with(model, steady_below_db=0.75, tonal_below=0.003, rich_below=0.15, sample_rate=sr)
    verdict = classify(audio, exported, hop_seconds=2.0)
    assert (verdict.status, verdict.genre, verdict.probabilities) == ("no music heard", None, {}) and model.calls == 0
    # neither steady nor short of pitch: without the tone rule, the model is asked
    without = exported_with(LevelModel(0.99), steady_below_db=0.75, tonal_below=0.003, sample_rate=sr)
    assert classify(audio, without, hop_seconds=2.0).shown == "A"
    # and music of pure tones, struck and ringing on, still gets its genre with the three rules on
    assert classify(music_box(20.0, sr=sr), exported, hop_seconds=2.0).shown == "A"


def test_only_the_music_of_a_song_with_a_noisy_intro_is_classified():
    from spectrogenre.inference import classify

    # 4 s of pink noise, then 4 s of notes: windows of 2 s every 2 s are noise, noise, music, music
    audio = np.concatenate([colored_noise(4.0, exponent=1, sr=16000, level_db=-20), melody(4.0, sr=16000)])
    model = LevelModel(0.8)
    verdict = classify(audio, exported_with(model, steady_below_db=0.75, sample_rate=16000), hop_seconds=2.0)
    assert [w["genre"] for w in verdict.windows] == ["no music heard", "no music heard", "A", "A"]
    assert (verdict.status, verdict.genre) == ("genre", "A") and model.calls == 2


def test_quiet_windows_are_left_out_of_a_songs_verdict():
    from dataclasses import replace

    from spectrogenre.inference import classify

    # silence rule off, so the silent middle stays: windows of 2 s every 2 s are tone, silence, tone
    audio = np.concatenate([sine(2.0, sr=8000), silence(2.0, sr=8000), sine(2.0, sr=8000)])
    model = LevelModel(0.8)
    exported = replace(exported_with(model), silence=TrimParams(enabled=False))
    verdict = classify(audio, exported, hop_seconds=2.0)
    assert (verdict.status, verdict.genre) == ("genre", "A") and verdict.confidence == pytest.approx(0.8)
    assert model.calls == 2
    assert [(w["start_s"], w["genre"], w["confidence"]) for w in verdict.windows] == [
        (0.0, "A", 0.8), (2.0, "no music heard", None), (4.0, "A", 0.8)]


@pytest.mark.parametrize(("recording", "expected"), [
    # 2 s recordings at full level with digital silence; the silence rule cuts silences longer than 1 s
    ([("notes", 0.5), ("silence", 1.5)], "no music heard"),  # 1.5 s cut: 0.5 s of 2 kept, 25 %
    ([("notes", 0.9), ("silence", 1.1)], "no music heard"),  # 45 %
    ([("silence", 0.3), ("notes", 0.2), ("silence", 1.5)], "no music heard"),  # the 0.3 s pause stays: 25 %
    ([("notes", 1.1), ("silence", 0.9)], "A"),  # a 0.9 s pause is not cut: 100 %
    ([("silence", 0.5), ("notes", 1.0), ("silence", 0.5)], "A"),  # 100 %
    ([("clicks", 2.0)], "A"),  # a click every 0.1 s: 4 of every 5 frames silent, none in a long silence
])
def test_a_window_that_is_mostly_silence_is_not_classified(recording, expected):
    from spectrogenre.inference import classify

    # Less than a window is left once long silences are cut, so the window is the recording as it is;
    # it is classified only when the silence rule, applied to it, keeps at least half of it
    # (min_sound_fraction)
    parts = {"notes": lambda s: melody(s, sr=8000, amp=0.5), "silence": lambda s: silence(s, sr=8000),
             "clicks": lambda s: np.tile(np.r_[np.float32(0.5), np.zeros(799, np.float32)], int(s * 10))}
    audio = np.concatenate([parts[kind](seconds) for kind, seconds in recording])
    model = LevelModel(0.99)
    verdict = classify(audio, exported_with(model), hop_seconds=2.0)
    assert verdict.shown == expected and model.calls == (expected == "A")
    # the rule off: every one of them gets a genre
    assert classify(audio, exported_with(LevelModel(0.99), min_sound_fraction=0.0), hop_seconds=2.0).shown == "A"


def test_a_doubtful_verdict_is_unsure_and_keeps_its_best_guess():
    from spectrogenre.inference import classify

    # B has 0.55 on every window: a genre at the threshold 0.5, unsure at 0.6
    assert classify(sine(4.0, sr=8000), exported_with(LevelModel(0.45)), hop_seconds=2.0).shown == "B"
    verdict = classify(sine(4.0, sr=8000), exported_with(LevelModel(0.45), unsure_below=0.6), hop_seconds=2.0)
    assert (verdict.status, verdict.genre, verdict.shown) == ("unsure", "B", "unsure")
    assert verdict.confidence == pytest.approx(0.55)
    # each window by the same rule: unsure at 0.6, its best guess named beside
    assert [(w["genre"], w["best_guess"], w["confidence"]) for w in verdict.windows] == [("unsure", "B", 0.55)] * 2
    sure = classify(sine(4.0, sr=8000), exported_with(LevelModel(0.45)), hop_seconds=2.0)
    assert [(w["genre"], w["best_guess"]) for w in sure.windows] == [("B", "B")] * 2


def test_a_timeline_names_an_unsure_windows_best_guess():
    from spectrogenre.prediction import render

    row = {"path": "a.mp3", "genre": "unsure", "confidence": 0.55, "top": [{"genre": "B", "probability": 0.55}],
           "error": None, "windows": [
               {"start_s": 0.0, "end_s": 2.0, "genre": "unsure", "confidence": 0.55, "best_guess": "B"},
               {"start_s": 2.0, "end_s": 4.0, "genre": "B", "confidence": 0.9, "best_guess": "B"},
               {"start_s": 4.0, "end_s": 6.0, "genre": "no music heard", "confidence": None, "best_guess": None}]}
    assert render([row], output="table", timeline=True).splitlines()[-3:] == [
        "        0.0-    2.0 s  unsure       55%  (B)",
        "        2.0-    4.0 s  B            90%",
        "        4.0-    6.0 s  no music heard"]


def test_the_exports_temperature_softens_each_window_before_the_verdict():
    from spectrogenre.inference import classify

    # 0.8 / 0.2 at T = 2: sqrt(0.8) / (sqrt(0.8) + sqrt(0.2)) = 2/3, under an unsure threshold of 0.7
    exported = exported_with(LevelModel(0.8), unsure_below=0.7, temperature=2.0)
    verdict = classify(sine(4.0, sr=8000), exported, hop_seconds=2.0)
    assert verdict.confidence == pytest.approx(2 / 3) and verdict.status == "unsure"
    assert verdict.windows[0]["confidence"] == pytest.approx(0.6667, abs=1e-4)


@pytest.mark.parametrize(("kind", "steady_rule_misses_it"), [
    ("bursts", True), ("gated pink", True), ("crackle", True), ("clicks", True),
    ("knocks", False),  # steady room tone between a few knocks: the steady-noise rule catches it too
])
def test_noise_that_changes_has_no_pitch_and_gets_no_music_heard(kind, steady_rule_misses_it):
    from spectrogenre.inference import classify
    from tests.synth import clicks

    sr, rng = 16000, np.random.default_rng(0)
    gate = np.where((np.arange(20 * sr) // (sr // 8)) % 2 == 0, 1.0, 0.1)  # 4 bursts a second, 20 dB apart
    if kind == "bursts":
        audio = colored_noise(20.0, exponent=0, sr=sr, level_db=-20) * gate
    elif kind == "gated pink":
        audio = colored_noise(20.0, exponent=1, sr=sr, level_db=-20) * gate
    elif kind == "crackle":  # a worn record's crackle over its hiss
        audio = colored_noise(20.0, exponent=1, sr=sr, level_db=-45)
        audio[rng.integers(0, len(audio), 600)] += rng.uniform(-0.5, 0.5, 600).astype(np.float32)
    elif kind == "clicks":
        audio = clicks(20.0, sr=sr)
    else:  # room tone with a knock every few seconds
        audio = colored_noise(20.0, exponent=1, sr=sr, level_db=-45)
        for start in (1.0, 4.5, 9.0, 13.0, 17.5):
            knock = colored_noise(0.2, exponent=2, sr=sr, level_db=-12) * np.exp(-np.arange(int(0.2 * sr)) / (0.03 * sr))
            audio[int(start * sr): int(start * sr) + len(knock)] += knock.astype(np.float32)
    audio = audio.astype(np.float32)
    model = LevelModel(0.99)
    exported = exported_with(model, steady_below_db=0.75, tonal_below=0.003, sample_rate=sr)
    verdict = classify(audio, exported, hop_seconds=2.0)
    assert (verdict.status, verdict.genre, verdict.probabilities) == ("no music heard", None, {}) and model.calls == 0
    steady_rule_alone = classify(audio, exported_with(LevelModel(0.99), steady_below_db=0.75, sample_rate=sr))
    assert (steady_rule_alone.shown == "A") == steady_rule_misses_it
    # and music still gets its genre with both rules on
    assert classify(melody(20.0, sr=sr), exported, hop_seconds=2.0).shown == "A"


def test_a_verdict_just_under_the_threshold_is_reported_and_shown_under_it(tmp_path):
    # 0.59996 beside a threshold of 0.6 was reported as 0.6 (rounded to 4 decimals) and shown as "unsure 60%"
    import soundfile as sf

    from spectrogenre.prediction import predict_file, render

    path = tmp_path / "close.wav"
    sf.write(path, sine(4.0, sr=8000), 8000)
    row = predict_file(path, exported_with(LevelModel(0.59996)), hop_seconds=None, threshold=0.6, top_k=2)
    assert (row["genre"], row["confidence"], row["top"]) == (
        "unsure", 0.5999, [{"genre": "A", "probability": 0.5999}, {"genre": "B", "probability": 0.4}])
    assert [(w["genre"], w["confidence"]) for w in row["windows"]] == [("unsure", 0.5999)] * 2
    assert render([row], output="table", timeline=False).endswith("unsure       59%  (A 59%, B 40%)\n")
