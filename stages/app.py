"""DVC stage `app`: the phone app with the exported model, as a static site (spectrogenre.webapp)."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.webapp import build_site


def main(export: Annotated[Path, typer.Option(help="Export folder (spec.json + model files).")],
         out: Annotated[Path, typer.Option(help="Folder for the site.")]):
    built = build_site(export, out)
    print(f"app: {built['files']} files, {built['bytes'] / 2**20:.1f} MB in {out} (build {built['build']})")


if __name__ == "__main__":
    run_stage(main)
