"""Does weighing each album the same within its genre (`model.balance: groups`) help a head on artists it never heard?

    python -m bench.group_balance PROJECT    # about 10 minutes on 2 cores

PROJECT is a checkout whose pipeline ran up to the features stage on a real library whose tracks all
have an artist tag, with its params.yaml (e.g. `library: <emotify-dev>`, `model.kind: musicnn`,
`crossval.folds: 5`). The frozen extractor runs once over every clip; each protocol then fits the head
weighing each clip the same (`model.balance: clips`) and each album the same within its genre (`groups`):

- `pipeline`: the crossval stage's own cross-validation (`crossval.cross_validate`: its folds, which put
  each genre's largest artists in different folds; C chosen inside the training folds; refit; track
  verdicts), for crossval seeds 0-5;
- `stratified`: artist-grouped 5-fold cross-validation as scikit-learn's StratifiedGroupKFold shuffles it,
  seeds 0-7, C chosen (C_GRID, least log loss) by an inner artist-grouped 3-fold CV;
- `leave_one_artist_out`: every artist held out in turn, the head fitted on all the others (the nearest to
  training on the whole library and meeting a new artist), at C 0.001, 0.003 and 0.01 (the choices above).

Printed and written to bench/group_balance.json: track accuracy per protocol and condition, and the paired
difference (per fold; per track for leave-one-artist-out: tracks won and lost).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import ROOT, load_average

BALANCES = ("clips", "groups")
PIPELINE_SEEDS = range(6)
STRATIFIED_SEEDS = range(8)
ARTIST_OUT_C = (0.001, 0.003, 0.01)


def paired(ahead: list[float], behind: list[float]) -> dict:
    diff = np.array(ahead) - np.array(behind)
    return {"mean": round(float(diff.mean()), 4), "standard_error": round(float(diff.std(ddof=1) / np.sqrt(len(diff))), 4),
            "folds_ahead_level_behind": [int((diff > 0).sum()), int((diff == 0).sum()), int((diff < 0).sum())]}


def summary(values: list[float]) -> dict:
    return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values, ddof=1)), 4)}


def track_accuracy(probabilities: np.ndarray, labels: np.ndarray, tracks: np.ndarray) -> float:
    from spectrogenre.evaluate import track_votes

    true, predicted = track_votes(probabilities, labels, tracks)
    return float((true == predicted).mean())


def weights(balance: str, labels: np.ndarray, albums: np.ndarray) -> np.ndarray | None:
    from spectrogenre.heads import group_balance

    return group_balance(labels, albums) if balance == "groups" else None


def pipeline_protocol(data: Path, params, frozen) -> dict:
    from spectrogenre.crossval import cross_validate

    per_fold = {b: [] for b in BALANCES}
    for seed in PIPELINE_SEEDS:
        for balance in BALANCES:
            with tempfile.TemporaryDirectory() as out:
                metrics = cross_validate(data / "features", data / "split", data / "concat", Path(out),
                                         model=dataclasses.replace(params.model, balance=balance),
                                         params=params.train, frontend=params.frontend, folds=5,
                                         group="artist", seed=seed, frozen_features=frozen)
            per_fold[balance] += [fold["track"]["accuracy"] for fold in metrics["per_fold"]]
    return {"track_accuracy": {b: summary(v) for b, v in per_fold.items()},
            "groups_minus_clips": paired(per_fold["groups"], per_fold["clips"]), "per_fold": per_fold}


def fit_head(x, y, rows, *, c: float, balance: str, albums):
    from spectrogenre.heads import fit_logistic_head

    return fit_logistic_head(x[rows], y[rows], n_genres=int(y.max()) + 1, c=c,
                             weights=weights(balance, y[rows], albums[rows]))


def chosen_c(x, y, train, *, balance: str, albums, artists) -> float:
    """C_GRID's value of least log loss in artist-grouped 3-fold CV inside the training rows."""
    from sklearn.metrics import log_loss
    from sklearn.model_selection import GroupKFold

    from spectrogenre.heads import C_GRID

    inner = list(GroupKFold(3).split(train, groups=artists[train]))
    loss = {c: np.mean([log_loss(y[train[b]], fit_head(x, y, train[a], c=c, balance=balance, albums=albums)
                                 .probabilities(x[train[b]]), labels=range(int(y.max()) + 1)) for a, b in inner])
            for c in C_GRID}
    return min(C_GRID, key=loss.get)


def stratified_protocol(x, y, tracks, albums, artists) -> dict:
    from sklearn.model_selection import StratifiedGroupKFold

    per_fold = {b: [] for b in BALANCES}
    for seed in STRATIFIED_SEEDS:
        for train, test in StratifiedGroupKFold(5, shuffle=True, random_state=seed).split(x, y, artists):
            for balance in BALANCES:
                c = chosen_c(x, y, train, balance=balance, albums=albums, artists=artists)
                head = fit_head(x, y, train, c=c, balance=balance, albums=albums)
                per_fold[balance].append(track_accuracy(head.probabilities(x[test]), y[test], tracks[test]))
    return {"track_accuracy": {b: summary(v) for b, v in per_fold.items()},
            "groups_minus_clips": paired(per_fold["groups"], per_fold["clips"]), "per_fold": per_fold}


def leave_one_artist_out(x, y, tracks, albums, artists) -> dict:
    from spectrogenre.evaluate import track_votes

    result = {}
    for c in ARTIST_OUT_C:
        right = {}
        for balance in BALANCES:
            right[balance] = {}
            for artist in np.unique(artists):
                held = artists == artist
                probabilities = fit_head(x, y, ~held, c=c, balance=balance, albums=albums).probabilities(x[held])
                true, predicted = track_votes(probabilities, y[held], tracks[held])  # tracks in sorted order
                right[balance] |= dict(zip(np.unique(tracks[held]), (true == predicted).tolist(), strict=True))
        won = sum(right["groups"][t] and not right["clips"][t] for t in right["clips"])
        lost = sum(right["clips"][t] and not right["groups"][t] for t in right["clips"])
        result[str(c)] = {b: round(float(np.mean(list(right[b].values()))), 4) for b in BALANCES} | {
            "tracks_won_by_groups": won, "tracks_lost_by_groups": lost}
    return result


def main() -> None:
    import pandas as pd

    from spectrogenre.config import load_params
    from spectrogenre.crossval import frozen_clip_features
    from spectrogenre.library.groups import split_units
    from spectrogenre.quiet import import_tensorflow_quietly

    import_tensorflow_quietly()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    args = parser.parse_args()
    data = args.project / "data"
    params = load_params(args.project / "params.yaml")
    load = load_average()
    frozen = frozen_clip_features(data / "features", model=params.model, frontend=params.frontend)
    x, y, ids = frozen
    clips = pd.read_csv(data / "split" / "clips.csv", dtype=str).set_index("clip_id").loc[[str(i) for i in ids]]
    artist_of = pd.read_csv(data / "concat" / "index.csv", dtype=str).set_index("track")["artist"]
    tracks, albums = clips["track"].to_numpy(), split_units(clips).to_numpy()
    artists = artist_of.loc[tracks].to_numpy()
    result = {"project": str(args.project.resolve()), "library": str(params.library), "kind": params.model.kind,
              "model": dataclasses.asdict(params.model), "clips": len(y), "tracks": len(set(tracks)),
              "artists": len(set(artists)), "load_average_at_start": load,
              "pipeline": pipeline_protocol(data, params, frozen),
              "stratified": stratified_protocol(x, y, tracks, albums, artists),
              "leave_one_artist_out": leave_one_artist_out(x, y, tracks, albums, artists)}
    (ROOT / "bench" / "group_balance.json").write_text(json.dumps(result, indent=1) + "\n")
    shown = {k: ({p: v for p, v in part.items() if p != "per_fold"} if isinstance(part, dict) else part)
             for k, part in result.items()}
    print(json.dumps(shown, indent=1))


if __name__ == "__main__":
    main()
