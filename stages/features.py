"""DVC stage `features`: the front end's log spectrogram of every clip, in bounded shards."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.cli import available_cores, run_stage
from spectrogenre.features import compute_features
from spectrogenre.params import load_params


def main(concat: Annotated[Path, typer.Option(help="The concat stage's folder.")],
         clips: Annotated[Path, typer.Option(help="The clip stage's folder.")],
         out: Annotated[Path, typer.Option(help="Output folder.")],
         jobs: Annotated[int, typer.Option(help="Genres processed in parallel.")] = available_cores()):
    params = load_params()
    index = compute_features(concat, clips, out, frontend=params.frontend, shard_mb=params.features.shard_mb,
                             jobs=jobs)
    print(f"features: {len(index)} spectrograms of {params.frontend.shape}")


if __name__ == "__main__":
    run_stage(main)
