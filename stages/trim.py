"""DVC stage `trim`: the kept intervals of each genre track once long silences are cut."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.config import load_params
from spectrogenre.cores import available_cores
from spectrogenre.trim import trim_library


def main(concat: Annotated[Path, typer.Option(help="The concat stage's folder.")],
         out: Annotated[Path, typer.Option(help="Output folder.")],
         jobs: Annotated[int, typer.Option(help="Genre files read in parallel.")] = available_cores()):
    kept = trim_library(concat, out, load_params().trim, jobs=jobs)
    print(f"trim: {len(kept)} kept intervals")


if __name__ == "__main__":
    run_stage(main)
