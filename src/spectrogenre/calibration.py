"""Temperature scaling: one number, fitted on held-out clips, that makes softmax confidences honest.

softmax(z / T) equals p ** (1 / T), renormalised, so the runtime applies it to the model's
probabilities without touching the model. numpy only: predict imports it at start-up.
"""

from __future__ import annotations

import numpy as np

# Calibration only ever softens: a small held-out set that the model gets all right would
# otherwise drive T towards 0 and every answer towards 100 %.
MIN_TEMPERATURE, MAX_TEMPERATURE = 1.0, 10.0


def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (n, k) -> softmax(log(probs) / temperature) (n, k), computed in float64."""
    logits = np.log(np.clip(np.asarray(probs, dtype=np.float64), 1e-30, None)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def negative_log_likelihood(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-30, None))))


def fit_temperature(probs: np.ndarray, labels: np.ndarray) -> float:
    """The T in [MIN_TEMPERATURE, MAX_TEMPERATURE] with the least mean negative log-likelihood of `labels`.

    Golden-section search on log T (the likelihood is unimodal in it), to 1e-4 in log T.
    """
    lo, hi = np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE)
    cost = lambda log_t: negative_log_likelihood(apply_temperature(probs, np.exp(log_t)), labels)  # noqa: E731
    ratio = (np.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    cost_a, cost_b = cost(a), cost(b)
    while hi - lo > 1e-4:
        if cost_a <= cost_b:
            hi, b, cost_b = b, a, cost_a
            a = hi - ratio * (hi - lo)
            cost_a = cost(a)
        else:
            lo, a, cost_a = a, b, cost_b
            b = lo + ratio * (hi - lo)
            cost_b = cost(b)
    return float(np.exp((lo + hi) / 2))


def _bins(probs: np.ndarray, labels: np.ndarray, bins: int) -> list[tuple[float, float, int]]:
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return [(float(confidence[which == b].mean()), float(correct[which == b].mean()), int((which == b).sum()))
            for b in range(bins) if (which == b).any()]


def reliability(probs: np.ndarray, labels: np.ndarray, *, bins: int = 10) -> list[dict]:
    """Per confidence bin (equal width on [0, 1]) that has clips: mean confidence, accuracy, clips."""
    return [{"confidence": round(c, 4), "accuracy": round(a, 4), "clips": n} for c, a, n in _bins(probs, labels, bins)]


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, *, bins: int = 10) -> float:
    """Mean |accuracy - confidence| over confidence bins, weighted by their clips (0 = calibrated)."""
    return float(sum(n * abs(a - c) for c, a, n in _bins(probs, labels, bins)) / max(1, len(labels)))
