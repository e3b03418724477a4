"""DVC stage `train`: the seed CNN, streamed from chunks, best validation accuracy kept."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.cli import run_stage
from spectrogenre.params import load_params


def main(features: Annotated[Path, typer.Option(help="The features stage's folder (chunks, dataset.json).")],
         out: Annotated[Path, typer.Option(help="Output folder.")]):
    from spectrogenre.train import train_model  # imports TensorFlow: after the options parse

    summary = train_model(features, out, load_params().train)
    print(f"train: best val accuracy {summary['best_val_accuracy']} at epoch {summary['best_epoch']}")


if __name__ == "__main__":
    run_stage(main)
