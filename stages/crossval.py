"""DVC stage `crossval`: grouped k-fold cross-validation of the model kind (crossval.folds 0: off)."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.config import load_params


def main(features: Annotated[Path, typer.Option(help="The features stage's folder (chunks of every clip).")],
         split: Annotated[Path, typer.Option(help="The split stage's folder (each clip's album and track).")],
         concat: Annotated[Path, typer.Option(help="The concat stage's folder (artist tags; audio).")],
         trim: Annotated[Path, typer.Option(help="The trim stage's folder (kept audio for train.random_offsets).")],
         clips: Annotated[Path, typer.Option(help="The clip stage's folder.")],
         out: Annotated[Path, typer.Option(help="Output folder.")]):
    import os

    from spectrogenre.crossval import cross_validate
    from spectrogenre.distributed import TF_CONFIG
    from spectrogenre.offsets import offsets_for_training

    # The folds train on this machine (its GPUs, if several): a TF_CONFIG cluster trains the train stage, whose
    # command its workers run; they do not run the folds, so a fold joining the cluster would wait for them forever.
    os.environ.pop(TF_CONFIG, None)
    params = load_params()
    offsets_for = offsets_for_training(concat, trim, clips, params.frontend) if params.train.random_offsets else None
    metrics = cross_validate(features, split, concat, out, model=params.model, params=params.train,
                             frontend=params.frontend, folds=params.crossval.folds, group=params.crossval.group,
                             seed=params.crossval.seed, offsets_for=offsets_for)
    if metrics["folds"]:
        print(f"crossval: {metrics['folds']} folds by {metrics['group']}: track accuracy "
              f"{metrics['track']['accuracy']['mean']} ± {metrics['track']['accuracy']['std']}, clip accuracy "
              f"{metrics['clip']['accuracy']['mean']} ± {metrics['clip']['accuracy']['std']}")


if __name__ == "__main__":
    run_stage(main)
