"""DVC stage `evaluate`: metrics.json (clip and track level, per genre) and plot data."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage


def main(model: Annotated[Path, typer.Option(help="The trained Keras model.")],
         held_out: Annotated[Path, typer.Option(help="The train stage's held-out probabilities (calibration).")],
         features: Annotated[Path, typer.Option(help="The features stage's folder (chunks, dataset.json).")],
         split: Annotated[Path, typer.Option(help="The split stage's folder (clips.csv: each clip's track).")],
         crossval: Annotated[Path, typer.Option(help="The crossval stage's metrics.json, reported alongside.")],
         out: Annotated[Path, typer.Option(help="Output folder.")]):
    from spectrogenre.evaluate import evaluate_model
    from spectrogenre.params import read_sections

    metrics = evaluate_model(model, features, split, out, held_out=held_out, crossval=crossval,
                             unsure_below=read_sections(Path("params.yaml")).export.unsure_below)
    print(f"evaluate: test clip accuracy {metrics['clip']['test']['accuracy']}, "
          f"track accuracy {metrics['track']['test']['accuracy']}")


if __name__ == "__main__":
    run_stage(main)
