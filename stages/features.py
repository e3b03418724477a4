"""DVC stage `features`: the front end's log spectrogram of every clip, as the split's bounded chunks."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.config import load_params
from spectrogenre.cores import available_cores
from spectrogenre.features import compute_features


def main(concat: Annotated[Path, typer.Option(help="The concat stage's folder.")],
         clips: Annotated[Path, typer.Option(help="The clip stage's folder.")],
         split: Annotated[Path, typer.Option(help="The split stage's folder.")],
         out: Annotated[Path, typer.Option(help="Output folder.")],
         jobs: Annotated[int, typer.Option(help="Chunks computed in parallel.")] = available_cores()):
    params = load_params()
    dataset = compute_features(concat, clips, split, out, frontend=params.frontend,
                               chunk_mb=params.features.chunk_mb, jobs=jobs)
    print(f"features: {sum(map(len, dataset['chunks'].values()))} chunks of {params.frontend.shape} spectrograms")


if __name__ == "__main__":
    run_stage(main)
