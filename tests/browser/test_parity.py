"""Front-end parity: the browser's spectrogram and probabilities against Python's, on the same files.

Python's side is what `spectrogenre predict` and the server run: inference.decode (libsndfile,
the front end's resampler, 16-bit rounding), inference.windows, frontend.log_spectrogram and
the TFLite model. The browser's is window.spectrogenre.analyse, the app's on-device path.
The measured figures are written to tests/browser/artifacts/parity.json.
"""

from __future__ import annotations

import base64
import dataclasses
import json

import numpy as np
import soundfile as sf

from spectrogenre.demo.library import plan_library, render_track
from spectrogenre.frontend import log_spectrogram
from spectrogenre.inference import classify, decode
from spectrogenre.inference import windows as song_windows
from tests.browser.conftest import ARTIFACTS

HOP_SECONDS = 7.5
MAX_DB_DIFF = 0.1
MAX_PROBABILITY_DIFF = 1e-3
# (sample rate, channels, WAV subtype): the resampler's ratios, 16-bit rescaling, channel mixing.
CASES = [(44100, 2, "PCM_16"), (48000, 1, "FLOAT"), (32000, 2, "PCM_24"), (22050, 1, "PCM_16"), (16000, 1, "PCM_16")]


def analyse_in_page(page, path) -> dict:
    return page.evaluate("""async (encoded) => {
        const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)).buffer;
        return window.spectrogenre.analyse(bytes);
    }""", base64.b64encode(path.read_bytes()).decode())


def test_browser_matches_python(phone, exported, audio_dir):
    job = plan_library(albums_per_genre=3, tracks_per_album=1)[-1]
    report = []
    for rate, channels, subtype in CASES:
        path = audio_dir / f"parity_{rate}_{channels}ch_{subtype}.wav"
        sf.write(path, render_track(dataclasses.replace(job, seconds=25.0, sr=rate, channels=channels)), rate,
                 subtype=subtype)
        audio = decode(path, sample_rate=exported.frontend.sample_rate)
        bounds, clips = song_windows(audio, frontend=exported.frontend, silence=exported.silence, hop_seconds=HOP_SECONDS)
        expected = classify(audio, exported, hop_seconds=HOP_SECONDS)

        browser = analyse_in_page(phone, path)
        spectrogram = np.asarray(browser["spectrogram"], dtype=np.float32).reshape(browser["shape"])
        n = len(browser["windows"])
        report.append({
            "file": path.name,
            "windows": n,
            "max_abs_db_diff": float(np.abs(spectrogram - log_spectrogram(clips[0], exported.frontend)).max()),
            "max_abs_probability_diff": max(abs(browser["probabilities"][g] - p)
                                            for g, p in expected.probabilities.items()),
            "genre": [browser["genre"], expected.genre],
            "ms_per_clip": {"spectrogram": round(browser["timings"]["spectrogram"] / n, 1),
                            "model": round(browser["timings"]["model"] / n, 1)},
            "ms": {k: round(v, 1) for k, v in browser["timings"].items()},
        })
        assert browser["rate"] == rate
        assert [[w["start_s"], w["end_s"]] for w in browser["windows"]] == bounds.tolist()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "parity.json").write_text(json.dumps(report, indent=2))
    for case in report:
        assert case["max_abs_db_diff"] <= MAX_DB_DIFF, case
        assert case["max_abs_probability_diff"] <= MAX_PROBABILITY_DIFF, case
        assert case["genre"][0] == case["genre"][1], case
