"""DVC stage `train`: the model kind of params.yaml, trained on the train and val clips."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.config import load_params


def main(features: Annotated[Path, typer.Option(help="The features stage's folder (chunks, dataset.json).")],
         concat: Annotated[Path, typer.Option(help="The concat stage's folder (audio for train.random_offsets).")],
         trim: Annotated[Path, typer.Option(help="The trim stage's folder (kept audio for train.random_offsets).")],
         clips: Annotated[Path, typer.Option(help="The clip stage's folder.")],
         split: Annotated[Path, typer.Option(help="The split stage's folder (which clips train).")],
         out: Annotated[Path, typer.Option(help="Output folder.")]):
    from spectrogenre.files import read_csv
    from spectrogenre.offsets import offsets_for_training
    from spectrogenre.train import train_model  # imports TensorFlow: after the options parse

    params = load_params()
    offsets = None
    if params.train.random_offsets:
        assigned = read_csv(split / "clips.csv")
        offsets = offsets_for_training(concat, trim, clips, params.frontend)(
            assigned[assigned["split"].isin(["train", "val"])])
    summary = train_model(features, split, out, model=params.model, params=params.train, frontend=params.frontend,
                          offsets=offsets)
    print(f"train: {summary['kind']}, held-out accuracy {summary['best_val_accuracy']} ({summary['selected_by']}), "
          f"fitted on {summary['fitted_on']}")


if __name__ == "__main__":
    run_stage(main)
