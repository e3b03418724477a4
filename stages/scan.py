"""DVC stage `scan`: list the library as params.yaml's `source` describes it and stop early on any problem."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.config import kind_requirement, load_params
from spectrogenre.errors import LibraryError
from spectrogenre.library.scan import render, scan, write_scan


def main(out: Annotated[Path, typer.Option(help="Output folder.")],
         library: Annotated[Path | None, typer.Option(
             help="The library folder, or the manifest file (layout manifest). Default: params.yaml's `library`.")]
         = None):
    params = load_params()
    library = Path(params.library) if library is None else library
    catalog, report = scan(library, params, model_requirement=kind_requirement(params))
    table, problems = render(report, layout=params.source.layout, library=library,
                             ignored_list=str(out / "ignored.csv") if report.ok else None)  # written if ok
    if not report.ok:
        print(table + problems, file=sys.stderr, end="")
        raise LibraryError(f"{len(report.errors)} problem(s) in the library (listed above); "
                           f"`spectrogenre scan` shows them without running the pipeline")
    write_scan(catalog, report, out)
    # what was left out and why, a few files per reason; genre names learned as one, and the map that would rename them
    if report.left_out or report.notes or report.genre_notes or report.warnings:
        print(problems.rsplit("\n", 2)[0], file=sys.stderr)
    print(f"scan: {len(catalog.tracks)} tracks in {len(report.genres)} genres, {len(catalog.left_out)} left out, "
          f"{len(catalog.ignored)} ignored (data/scan/skipped.csv, ignored.csv)")


if __name__ == "__main__":
    run_stage(main)
