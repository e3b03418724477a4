"""Front-end parity: the browser's spectrogram and probabilities against Python's, on the same files.

Python's side is what `spectrogenre predict` and the server run: inference.decode (libsndfile,
the front end's resampler, 16-bit rounding), inference.windows, frontend.log_spectrogram and
the TFLite model. The browser's is window.spectrogenre.analyse, the app's on-device path.
The measured figures are written to tests/browser/artifacts/parity.json.

The front end's other kinds ("mel", "musicnn": the Slaney mel filterbank computed in
JavaScript) are compared on Python's own clips (frontend_kinds.json), and a model with a
musicnn front end runs on the device against Python's inference (parity_musicnn.json).
"""

from __future__ import annotations

import base64
import dataclasses
import json

import librosa
import numpy as np
import pytest
import soundfile as sf

from spectrogenre.demo.library import plan_library, render_track
from spectrogenre.frontend import Frontend, log_spectrogram, quantise_16bit
from spectrogenre.inference import ExportedModel, classify, decode
from spectrogenre.inference import windows as song_windows
from tests.browser.band_model import write_band_export
from tests.browser.conftest import ARTIFACTS, open_phone, serve

MAX_DB_DIFF = 0.1
MAX_PROBABILITY_DIFF = 1e-3
# (sample rate, channels, WAV subtype): the resampler's ratios, 16-bit rescaling, channel mixing.
CASES = [(44100, 2, "PCM_16"), (48000, 1, "FLOAT"), (32000, 2, "PCM_24"), (22050, 1, "PCM_16"), (16000, 1, "PCM_16")]


def analyse_in_page(page, path) -> dict:
    return page.evaluate("""async (encoded) => {
        const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)).buffer;
        return window.spectrogenre.analyse(bytes);
    }""", base64.b64encode(path.read_bytes()).decode())


def compare_song(page, exported, path) -> dict:
    """The app's on-device verdict for the file at path against Python's inference: a report entry."""
    audio = decode(path, sample_rate=exported.frontend.sample_rate)
    bounds, clips = song_windows(audio, frontend=exported.frontend, silence=exported.silence,
                                 hop_seconds=exported.hop_seconds, short_tolerance_s=exported.short_tolerance_s)
    expected = classify(audio, exported)

    browser = analyse_in_page(page, path)
    spectrogram = np.asarray(browser["spectrogram"], dtype=np.float32).reshape(browser["shape"])
    assert tuple(browser["shape"]) == exported.frontend.shape
    assert browser["rate"] == sf.info(path).samplerate
    assert [[w["start_s"], w["end_s"]] for w in browser["windows"]] == bounds.tolist()
    n = len(browser["windows"])
    return {
        "file": path.name,
        "windows": n,
        "max_abs_db_diff": float(np.abs(spectrogram - log_spectrogram(clips[0], exported.frontend)).max()),
        "max_abs_probability_diff": max(abs(browser["probabilities"][g] - p)
                                        for g, p in expected.probabilities.items()),
        "genre": [browser["genre"], expected.genre],
        "ms_per_clip": {"spectrogram": round(browser["timings"]["spectrogram"] / n, 1),
                        "model": round(browser["timings"]["model"] / n, 1)},
        "ms": {k: round(v, 1) for k, v in browser["timings"].items()},
    }


def test_browser_matches_python(phone, exported, audio_dir):
    job = plan_library(albums_per_genre=3, tracks_per_album=1)[-1]
    report = []
    for rate, channels, subtype in CASES:
        path = audio_dir / f"parity_{rate}_{channels}ch_{subtype}.wav"
        sf.write(path, render_track(dataclasses.replace(job, seconds=25.0, sr=rate, channels=channels)), rate,
                 subtype=subtype)
        report.append(compare_song(phone, exported, path))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "parity.json").write_text(json.dumps(report, indent=2))
    for case in report:
        assert case["max_abs_db_diff"] <= MAX_DB_DIFF, case
        assert case["max_abs_probability_diff"] <= MAX_PROBABILITY_DIFF, case
        assert case["genre"][0] == case["genre"][1], case


# The front end's kinds, on clips Python makes. "stft-fft" is kind stft through the radix-2 FFT
# (n_fft 512), "stft" through the exact DFT (n_fft 556).
FRONTENDS = {
    "stft": Frontend(),
    "stft-fft": Frontend(sample_rate=16000, n_fft=512, hop_length=256),
    "mel": Frontend(kind="mel", n_fft=2048, hop_length=1221, n_mels=128),
    "musicnn": Frontend.musicnn(),
    "musicnn-as-recorded": Frontend.musicnn(normalise_dbfs=None),
    "stft-normalised": Frontend(normalise_dbfs=-20.0),
    "musicnn-dc-offset": Frontend.musicnn(),
    "stft-normalised-dc-offset": Frontend(normalise_dbfs=-20.0),
}
# Cases whose clip (the music at 0.3) sits on a constant offset, which the normalising front end takes out
# before measuring the level and scaling. The mean is a float64 sum, pairwise in numpy and in order in
# JavaScript, which could tip a float32 rounding; measured, the gaps are those without the offset.
DC_OFFSETS = {"musicnn-dc-offset": 0.3, "stft-normalised-dc-offset": -0.25}
# The gaps are float32 roundings, not the transforms (the FFT and the DFT give the same
# spectrogram here): numpy's float32 log10 differs from the correctly rounded one by 1 ulp in
# about a quarter of the values, and librosa's mel product is a float32 BLAS sum (1 ulp from
# the float64 sum rounded once in a fifth of the bands). dB values lie within +-100, where
# a float32 ulp is 7.6e-6 dB: measured 7.6e-6 dB (stft, mel) and 1.5e-5 dB (stft-fft), so
# 4 ulps. musicnn's values lie in [0, 8), ulp 4.8e-7: measured 4.8e-7, so 4 ulps.
MAX_DIFF = {"stft": 3.1e-5, "stft-fft": 3.1e-5, "mel": 3.1e-5, "musicnn": 1.9e-6, "musicnn-as-recorded": 1.9e-6,
            "stft-normalised": 3.1e-5, "musicnn-dc-offset": 1.9e-6, "stft-normalised-dc-offset": 3.1e-5}
ROUNDS = 3  # timed runs per clip (after one warm-up run), the median is kept


def js_log_spectrogram(page, clip: np.ndarray, frontend: Frontend) -> tuple[np.ndarray, float]:
    """spectrogram.js's logSpectrogram of clip (float32) in the page: (rows x frames, median ms)."""
    result = page.evaluate("""async ([encoded, frontend, rounds]) => {
        const { logSpectrogram } = await import(new URL('js/spectrogram.js', document.baseURI));
        const clip = new Float32Array(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)).buffer);
        let out = logSpectrogram(clip, frontend);
        const ms = [];
        for (let r = 0; r < rounds; r++) {
            const start = performance.now();
            out = logSpectrogram(clip, frontend);
            ms.push(performance.now() - start);
        }
        const bytes = new Uint8Array(out.buffer);
        let text = '';
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return { data: btoa(text), ms: ms.sort((a, b) => a - b)[rounds >> 1] };
    }""", [base64.b64encode(np.ascontiguousarray(clip, dtype=np.float32).tobytes()).decode(), frontend.to_dict(),
           ROUNDS])
    return np.frombuffer(base64.b64decode(result["data"]), dtype=np.float32).reshape(frontend.shape), result["ms"]


def js_mel_filterbank(page, sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    encoded = page.evaluate("""async (args) => {
        const { melFilterbank } = await import(new URL('js/spectrogram.js', document.baseURI));
        const bytes = new Uint8Array(melFilterbank(...args).buffer);
        let text = '';
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        return btoa(text);
    }""", [sample_rate, n_fft, n_mels])
    return np.frombuffer(base64.b64decode(encoded), dtype=np.float32).reshape(n_mels, n_fft // 2 + 1)


@pytest.mark.parametrize(("sample_rate", "n_fft", "n_mels"), [(16000, 512, 96), (22050, 2048, 128), (22050, 556, 128),
                                                              (44100, 1024, 40)])
def test_mel_filterbank_is_librosas(phone, sample_rate, n_fft, n_mels):
    weights = js_mel_filterbank(phone, sample_rate, n_fft, n_mels)
    expected = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels)
    assert weights.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(weights, expected)  # the same operations in the same order: bit for bit
    # Slaney's norm gives each triangle an area of 1 (weight x Hz): exactly so for the log-spaced
    # bands above 1 kHz, many bins wide, up to the error of sampling the triangle at the bins.
    areas = weights.sum(axis=1) * sample_rate / n_fft
    wide = librosa.mel_frequencies(n_mels + 2, fmax=sample_rate / 2)[:-2] >= 1000
    np.testing.assert_allclose(areas[wide][-5:], 1.0, rtol=0.02)


def test_spectrogram_kinds_match_python(phone):
    job = plan_library(albums_per_genre=3, tracks_per_album=1)[-1]
    report = {}
    for name, frontend in FRONTENDS.items():
        music = render_track(dataclasses.replace(job, seconds=16.0, sr=frontend.sample_rate, channels=1)).reshape(-1)
        clip = music[: frontend.clip_samples]
        if name in DC_OFFSETS:
            clip = clip * 0.3 + DC_OFFSETS[name]
        clip = quantise_16bit(clip)
        spectrogram, ms = js_log_spectrogram(phone, clip, frontend)
        gap = float(np.abs(spectrogram - log_spectrogram(clip, frontend)).max())
        report[name] = {"shape": list(frontend.shape), "max_abs_diff": gap, "tolerance": MAX_DIFF[name],
                        "ms_per_clip": round(ms, 1)}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "frontend_kinds.json").write_text(json.dumps(report, indent=2))
    assert report["musicnn"]["shape"] == [96, 938]
    for name, case in report.items():
        assert case["max_abs_diff"] <= MAX_DIFF[name], (name, case)


def test_fft_of_a_sine_by_hand(phone):
    """1 kHz at 16 kHz is FFT bin 32 of 512: a Hann-windowed sine of amplitude 0.5 gives |X| = 0.5 x 512 / 4
    = 64 there (36.12 dB) and half of it in bins 31 and 33 (30.10 dB), in every frame not touching the edges."""
    frontend = FRONTENDS["stft-fft"]
    clip = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(frontend.clip_samples) / frontend.sample_rate)
    spectrogram, _ = js_log_spectrogram(phone, clip, frontend)
    inner = spectrogram[:, 2:-2]
    np.testing.assert_allclose(inner[32], 20 * np.log10(64), atol=1e-4)
    np.testing.assert_allclose(inner[[31, 33]], 20 * np.log10(32), atol=1e-4)
    assert inner[[30, 34]].max() < -100 + 1e-3  # a periodic Hann window leaks into one bin either side only


@pytest.fixture(scope="module")
def musicnn_export(tmp_path_factory) -> ExportedModel:
    return ExportedModel.load(write_band_export(tmp_path_factory.mktemp("musicnn_export"), Frontend.musicnn()))


@pytest.fixture(scope="module")
def musicnn_phone(browser, musicnn_export):
    """The phone with the app of a band model over musicnn's 96 x 938 input (16 kHz)."""
    with (serve(musicnn_export.model_path.parent) as url,
          open_phone(browser, url, ARTIFACTS / "musicnn_phone.png") as page):
        yield page


def test_musicnn_model_runs_on_the_device(musicnn_phone, musicnn_export, song, audio_dir):
    ready = musicnn_phone.text_content("#status")
    assert ready.startswith("Ready: 3 genres"), ready
    report = [compare_song(musicnn_phone, musicnn_export, song)]
    # the song on a DC offset, through the whole app: decoding, resampling, the silence and noise rules
    # (about the mean) and the normalised spectrogram, which takes the offset out
    music, rate = sf.read(song, dtype="float32")
    offset_path = audio_dir / "song_dc_offset.wav"
    sf.write(offset_path, music * 0.3 + 0.4, rate, subtype="FLOAT")
    report.append(compare_song(musicnn_phone, musicnn_export, offset_path))
    # tones in a band's range are that band's genre: three at once, pulsing 4 times a second (a steady tone is
    # noise to the steady-noise rule, one or two tones alone signal tones to the tone rule)
    for name, freqs in [("bass", (110, 150, 190)), ("treble", (2600, 3300, 4100))]:
        path = audio_dir / f"tones_{freqs[1]}hz_16k.wav"
        t = np.arange(20 * 16000) / 16000
        pulse = 0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)
        sf.write(path, 0.1 * sum(np.sin(2 * np.pi * hz * t) for hz in freqs) * pulse, 16000, subtype="PCM_16")
        report.append(compare_song(musicnn_phone, musicnn_export, path))
        assert report[-1]["genre"] == [name, name]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "parity_musicnn.json").write_text(json.dumps(report, indent=2))
    for case in report:
        assert case["max_abs_db_diff"] <= MAX_DIFF["musicnn"], case
        assert case["max_abs_probability_diff"] <= MAX_PROBABILITY_DIFF, case
        assert case["genre"][0] == case["genre"][1], case


def js_steady(page, clip: np.ndarray, sr: int, rule, measure: str) -> tuple:
    """(steady.js's `measure` of the clip, "Infinity" where it is infinite; steady.js's isNoise verdict):
    measure is steadinessDb, tonalShare or richShare."""
    return tuple(page.evaluate("""async ([encoded, sr, rule, measure]) => {
        const steady = await import(new URL('js/steady.js', document.baseURI));
        const clip = new Float32Array(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)).buffer);
        const value = steady[measure](clip, sr, rule);
        return [Number.isFinite(value) ? value : String(value), steady.isNoise(clip, sr, rule)];
    }""", [base64.b64encode(clip.astype(np.float32).tobytes()).decode(), sr, dataclasses.asdict(rule), measure]))


def test_steady_noise_rule_matches_python(phone):
    """steady.js's steadiness of noise and music clips at both front-end rates is Python's, to rounding."""

    from spectrogenre.steady import SteadyNoiseRule, steadiness_db
    from tests.synth import band_limited, colored_noise, hum, sine

    rule = SteadyNoiseRule()
    job = plan_library(albums_per_genre=3, tracks_per_album=1)[-1]
    cases = []
    for sr in (16000, 22050):
        music = render_track(dataclasses.replace(job, seconds=16.0, sr=sr, channels=1)).reshape(-1)[: 15 * sr]
        clips = [("music", music), ("pink", colored_noise(15.0, exponent=1, sr=sr, level_db=-30)),
                 ("hum", hum(15.0, sr=sr)), ("tone", sine(15.0, freq=80.0, sr=sr, amp=0.5))]
        if sr == 22050:  # white noise above 9.5 kHz only: the bands stop at 8 kHz
            clips.append(("above the bands", band_limited(colored_noise(15.0, exponent=0, sr=sr, level_db=-20), sr=sr,
                                                          above_hz=9500)))
        for name, clip in clips:
            clip = quantise_16bit(clip)
            js, _ = js_steady(phone, clip, sr, rule, "steadinessDb")
            cases.append((name, sr, js, steadiness_db(clip, sr, rule)))
    for name, sr, js, python in cases:
        if python == float("inf"):
            assert js == "Infinity", (name, sr, js)
        else:
            assert abs(js - python) < 1e-9, (name, sr, js, python)
    assert {name for name, _, js, python in cases if python < rule.below_db} == {"pink", "hum", "tone", "above the bands"}
    assert {python for name, _, js, python in cases if name == "above the bands"} == {0.0}  # no sound in the bands


def test_no_pitch_rule_matches_python(phone):
    """steady.js's share of tonal peaks is Python's at both front-end rates: the same bins, to a bin or two
    where float rounding tips a bin across its threshold."""

    from spectrogenre.steady import SteadyNoiseRule, tonal_share
    from tests.synth import clicks, colored_noise, melody

    rule = SteadyNoiseRule()
    cases = []
    for sr in (16000, 22050):
        gate = np.where((np.arange(15 * sr) // (sr // 8)) % 2 == 0, 1.0, 0.1)
        clips = [("melody", melody(15.0, sr=sr)), ("white bursts", colored_noise(15.0, exponent=0, sr=sr, level_db=-20) * gate),
                 ("pink", colored_noise(15.0, exponent=1, sr=sr, level_db=-30)), ("clicks", clicks(15.0, sr=sr))]
        for name, clip in clips:
            clip = quantise_16bit(clip)
            js = js_steady(phone, clip, sr, rule, "tonalShare")
            cases.append((name, sr, js, tonal_share(clip, sr, rule)))
    for name, sr, (share, noise), python in cases:
        assert abs(share - python) <= 2e-5, (name, sr, share, python)  # 1 bin in 70,000
        assert noise == (name != "melody"), (name, sr)


def test_tone_rule_matches_python(phone):
    """steady.js's share of rich frames and its verdict are Python's at both front-end rates, on signal tones
    (no music heard) and on sparse music (music); its default rule is SteadyNoiseRule's."""
    from dataclasses import asdict

    from spectrogenre.steady import SteadyNoiseRule, is_noise, rich_share
    from tests.synth import (
        beeps,
        chord_progression,
        dtmf,
        flute,
        music_box,
        note_with_drums,
        phone_tone,
        two_tone_siren,
    )

    rule = SteadyNoiseRule()
    assert phone.evaluate("""async () => {
        const { DEFAULT_RULE } = await import(new URL('js/steady.js', document.baseURI));
        return DEFAULT_RULE;
    }""") == asdict(rule)
    signals = {"beeps": lambda sr: beeps(sr=sr, freq=1000.0, rate_hz=2.0),
               "square beeps": lambda sr: beeps(sr=sr, freq=300.0, rate_hz=4.0, duty=0.25, wave="square"),
               "DTMF": lambda sr: dtmf(sr=sr, noise_db=30), "two-tone siren": lambda sr: two_tone_siren(sr=sr, wave="square"),
               "ring": lambda sr: phone_tone(sr=sr, start_s=1.0)}
    music = {"music box": music_box, "flute": flute, "note with drums": note_with_drums, "chords": chord_progression}
    cases = []
    for sr in (16000, 22050):
        clips = [(name, make(sr)) for name, make in signals.items()] + [(name, make(sr=sr)) for name, make in music.items()]
        for name, clip in clips:
            clip = quantise_16bit(clip)
            js = js_steady(phone, clip, sr, rule, "richShare")
            cases.append((name, sr, js, rich_share(clip, sr, rule), is_noise(clip, sr, rule)))
    for name, sr, (share, noise), python, python_noise in cases:
        assert abs(share - python) <= 0.02, (name, sr, share, python)  # a frame in 50 where float sums tip a bin
        assert noise == python_noise == (name in signals), (name, sr, noise, python_noise)
