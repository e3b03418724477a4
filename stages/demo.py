"""DVC stage `demo`: write the built-in synthetic demo library (the default `library`)."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.params import read_sections
from spectrogenre.demo import generate_demo_library
from spectrogenre.files import fresh_dir


def main(out: Annotated[Path, typer.Option(help="Folder to write <genre>/<album>/<track> into.")]):
    demo = read_sections().demo
    paths = generate_demo_library(fresh_dir(out), size=demo.size, seed=demo.seed,
                                  albums_per_genre=demo.albums_per_genre, tracks_per_album=demo.tracks_per_album)
    print(f"demo: wrote {len(paths)} tracks to {out}")


if __name__ == "__main__":
    run_stage(main)
