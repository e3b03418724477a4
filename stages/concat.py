"""DVC stage `concat`: one long mono track per genre at the front end's rate, with provenance."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.concat import concat_library
from spectrogenre.config import load_params
from spectrogenre.cores import available_cores


def main(scan: Annotated[Path, typer.Option(help="The scan stage's folder (tracks.csv).")],
         out: Annotated[Path, typer.Option(help="Output folder.")],
         library: Annotated[Path | None, typer.Option(
             help="The library folder, or the manifest file. Default: params.yaml's `library`.")] = None,
         jobs: Annotated[int, typer.Option(help="Genres decoded in parallel.")] = available_cores()):
    params = load_params()
    library = Path(params.library) if library is None else library
    index = concat_library(library, scan, out, sample_rate=params.frontend.sample_rate, jobs=jobs)
    print(f"concat: {index['genre'].nunique()} genres, {len(index.groupby(['genre', 'group']))} groups, "
          f"{len(index)} tracks")


if __name__ == "__main__":
    run_stage(main)
