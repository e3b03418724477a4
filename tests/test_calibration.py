import numpy as np
import pytest

from spectrogenre.calibration import (
    MAX_TEMPERATURE,
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    reliability,
)


def test_temperature_is_softmax_of_scaled_logits():
    logits = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = np.exp(logits / 2) / np.exp(logits / 2).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(apply_temperature(probs, 2.0), expected, rtol=1e-12)
    np.testing.assert_allclose(apply_temperature(probs, 1.0), probs, rtol=1e-12)


def test_an_overconfident_model_is_softened_by_the_temperature_that_made_it_so():
    # true logits z, labels drawn from softmax(z); the "model" reports softmax(3 z): 3x too sharp
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1.5, (20000, 4))
    true = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(4, p=p) for p in true])
    sharp = np.exp(3 * z) / np.exp(3 * z).sum(axis=1, keepdims=True)
    temperature = fit_temperature(sharp, labels)
    assert temperature == pytest.approx(3.0, rel=0.05)
    assert expected_calibration_error(apply_temperature(sharp, temperature), labels) < 0.02
    assert expected_calibration_error(sharp, labels) > 0.1


def test_never_sharper_than_the_model_and_bounded():
    probs = np.array([[0.6, 0.4], [0.3, 0.7]])
    assert fit_temperature(probs, np.array([0, 1])) == pytest.approx(1.0, abs=1e-3)  # all right: no sharpening
    assert fit_temperature(np.array([[0.99, 0.01]] * 4), np.array([1, 1, 0, 1])) == pytest.approx(MAX_TEMPERATURE,
                                                                                               rel=1e-3)


def test_reliability_bins_by_hand():
    probs = np.array([[0.95, 0.05], [0.92, 0.08], [0.65, 0.35], [0.4, 0.6]])
    labels = np.array([0, 1, 0, 1])
    # bin 9: confidences 0.95, 0.92 (one right); bin 6: 0.65 (right) and 0.6 (right)
    assert reliability(probs, labels) == [{"confidence": 0.625, "accuracy": 1.0, "clips": 2},
                                          {"confidence": 0.935, "accuracy": 0.5, "clips": 2}]
    assert expected_calibration_error(probs, labels) == pytest.approx((2 * 0.375 + 2 * 0.435) / 4)


def test_a_splits_tracks_are_counted_unsure_as_predict_would_call_them():
    from spectrogenre.evaluate import track_verdicts

    # track a: clips (0.9, 0.1) and (0.7, 0.3), mean 0.8 for genre 0, right; track b: (0.4, 0.6) and (0.6, 0.4),
    # mean 0.5 each, argmax genre 0, wrong; track c: (0.2, 0.8) twice, right; track d: (0.45, 0.55) once, wrong
    probs = np.array([[0.9, 0.1], [0.7, 0.3], [0.4, 0.6], [0.6, 0.4], [0.2, 0.8], [0.2, 0.8], [0.45, 0.55]])
    labels = np.array([0, 0, 1, 1, 1, 1, 0])
    tracks = np.array(["a", "a", "b", "b", "c", "c", "d"])
    # at 0.56, b (0.5) and d (0.55) are unsure: half the tracks; a and c, both right, remain
    assert track_verdicts(probs, labels, tracks, temperature=1.0, unsure_below=0.56) == {
        "unsure": 0.5, "answered_accuracy": 1.0}
    # b's best, exactly 0.5, is not below 0.5: every track is answered, and a and c of the four are right
    assert track_verdicts(probs, labels, tracks, temperature=1.0, unsure_below=0.5) == {
        "unsure": 0.0, "answered_accuracy": 0.5}
    # each clip is calibrated before its track's mean: at T 2, p ** (1/2) renormalised, a's clips are 0.75 and
    # 0.6044 (mean 0.6772) and c's 0.6667, so at 0.67 only a is answered
    assert track_verdicts(probs, labels, tracks, temperature=2.0, unsure_below=0.67) == {
        "unsure": 0.75, "answered_accuracy": 1.0}
    assert track_verdicts(probs, labels, tracks, temperature=1.0, unsure_below=0.9) == {
        "unsure": 1.0, "answered_accuracy": None}


def test_the_reliability_plot_draws_raw_and_calibrated_apart(tmp_path):
    import json
    import os
    import re
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from spectrogenre.evaluate import calibrate

    rng = np.random.default_rng(0)
    sharp = rng.dirichlet([0.3] * 3, size=200)
    _, curve = calibrate(3.0, sharp, rng.integers(0, 3, 200))
    curve.to_csv(tmp_path / "reliability.csv", index=False)
    project = Path(__file__).resolve().parents[1]
    offline = {**os.environ, "DVC_NO_ANALYTICS": "1"}  # DVC would report its use over the network
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=tmp_path, check=True, env=offline)
    (tmp_path / ".dvc/plots").mkdir(exist_ok=True)
    shutil.copy(project / ".dvc/plots/reliability.json", tmp_path / ".dvc/plots/reliability.json")
    subprocess.run([sys.executable, "-m", "dvc", "plots", "show", "reliability.csv", "--template", "reliability",
                    "-x", "confidence", "-y", "accuracy", "-o", "out", "-q"], cwd=tmp_path, check=True, env=offline)
    html = (tmp_path / "out/index.html").read_text()
    spec = json.loads(re.search(r"var spec = (\{.*\});\n", html)[1])
    [diagonal, series] = spec["layer"]
    assert diagonal["data"]["values"] == [{"x": 0, "y": 0}, {"x": 1, "y": 1}]
    assert series["encoding"]["color"]["field"] == "probabilities"  # one line each, not one zig-zag
    assert {row["probabilities"] for row in series["data"]["values"]} == {"raw", "calibrated"}
