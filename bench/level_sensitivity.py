"""How much musicnn's genre verdicts depend on the recording's level, and what normalising each window does.

    python -m bench.level_sensitivity TRACKS.csv    # a manifest: path, genre, artist; about 10 minutes on 2 cores

Every track is cut into 15 s windows (every 15 s) and each window goes through musicnn (MSD, the
embedding, mean and standard deviation over its 5 patches) at its own level, 12 dB and 24 dB
quieter, and, as the alternative, with each window scaled to NORMALISED_DBFS RMS first. A
logistic regression (C 0.01, the default model's usual choice) is trained on the original level
in artist-grouped 5-fold cross-validation (3 shuffles) and scores each level of the held-out
tracks: track accuracy, and how many track verdicts stay those of the original level.
Writes bench/level_sensitivity.json and prints it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import ROOT, load_average

GAINS_DB = (0, -12, -24)
NORMALISED_DBFS = -26.0
WINDOW_SECONDS = 15


def window_features(audio: np.ndarray, gain_db: float, *, normalise: bool) -> list[np.ndarray]:
    """Each 15 s window's mean and standard deviation of musicnn's patch embeddings."""
    from spectrogenre.frontend import normalised, quantise_16bit
    from spectrogenre.musicnn.embedding import embed

    size, features = WINDOW_SECONDS * 16000, []
    for start in range(0, len(audio) - size + 1, size):
        window = (audio[start:start + size] * 10 ** (gain_db / 20)).astype(np.float32)
        if normalise:
            window = normalised(window, NORMALISED_DBFS)
        patches = embed(quantise_16bit(window))
        features.append(np.concatenate([patches.mean(axis=0), patches.std(axis=0)]))
    return features


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from spectrogenre.audio_io import read_mono

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    args = parser.parse_args()
    tracks = pd.read_csv(args.manifest)
    results = {"load_average_at_start": load_average(), "tracks": len(tracks), "rows": []}
    audio = [read_mono(args.manifest.parent / path, sample_rate=16000) for path in tracks["path"]]
    labels = tracks["genre"].astype("category").cat.codes.to_numpy()
    for normalise in (False, True):
        features = {gain: [window_features(a, gain, normalise=normalise) for a in audio] for gain in GAINS_DB}
        accuracy, same = {g: [] for g in GAINS_DB}, {g: [] for g in GAINS_DB}
        for seed in (0, 1, 2):
            folds = StratifiedGroupKFold(5, shuffle=True, random_state=seed)
            for train, test in folds.split(np.arange(len(tracks)), labels, tracks["artist"]):
                x = np.stack([w for i in train for w in features[0][i]])
                y = np.concatenate([[labels[i]] * len(features[0][i]) for i in train])
                head = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=5000)).fit(x, y)
                verdict = {g: np.array([head.predict_proba(np.stack(features[g][i])).mean(axis=0).argmax() for i in test])
                           for g in GAINS_DB}
                for g in GAINS_DB:
                    accuracy[g].append(float((verdict[g] == labels[test]).mean()))
                    same[g].append(float((verdict[g] == verdict[0]).mean()))
        for g in GAINS_DB:
            row = {"windows": f"normalised to {NORMALISED_DBFS} dBFS RMS" if normalise else "as recorded",
                   "gain_db": g, "track_accuracy": round(float(np.mean(accuracy[g])), 3),
                   "accuracy_std": round(float(np.std(accuracy[g])), 3),
                   "same_verdict_as_0_db": round(float(np.mean(same[g])), 3)}
            results["rows"].append(row)
            print(row, flush=True)
    (ROOT / "bench/level_sensitivity.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
