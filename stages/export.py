"""DVC stage `export`: TFLite models (float, dynamic range) and the spec inference reads."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.config import load_params


def main(model: Annotated[Path, typer.Option(help="The trained Keras model.")],
         features: Annotated[Path, typer.Option(help="The features stage's folder (its test chunks check parity).")],
         metrics: Annotated[Path, typer.Option(help="The evaluate stage's metrics.json, shipped with the model.")],
         out: Annotated[Path, typer.Option(help="Output folder.")]):
    from spectrogenre.export import export_model
    from spectrogenre.kinds import get

    params = load_params()
    report = export_model(model, features, metrics, out, frontend=params.frontend, trim=params.trim,
                          export=params.export, kind=params.model.kind, convert=get(params.model.kind).export)
    print(f"export: float TFLite max |diff| vs Keras {report['model.tflite']['max_abs_diff']:.1e}")


if __name__ == "__main__":
    run_stage(main)
