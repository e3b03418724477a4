"""DVC stage `demo`: write the built-in synthetic demo library, where it is the library (the default `library`).

For any other library it writes only a note: generating the demo costs minutes and 0.6 GB that a user's own
library has no use for. The scan stage still depends on this stage's folder, which keeps the stages in order
where the demo is the library.
"""

import os
from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.params import read_sections
from spectrogenre.demo import generate_demo_library
from spectrogenre.files import fresh_dir

NOT_GENERATED = "NOT-GENERATED.txt"


def is_the_library(library: str, out: Path) -> bool:
    """Whether `library` (params.yaml's, relative to the project) is the demo's folder `out` or inside it."""
    return Path(os.path.realpath(library)).is_relative_to(os.path.realpath(out))


def main(out: Annotated[Path, typer.Option(help="Folder to write <genre>/<album>/<track> into.")]):
    params = read_sections()
    if not is_the_library(params.library, out):
        (fresh_dir(out) / NOT_GENERATED).write_text(
            f"The demo library is generated only where params.yaml's library is {out}; it is {params.library}.\n")
        print(f"demo: not generated (the library is {params.library})")
        return
    demo = params.demo
    paths = generate_demo_library(fresh_dir(out), size=demo.size, seed=demo.seed,
                                  albums_per_genre=demo.albums_per_genre, tracks_per_album=demo.tracks_per_album)
    print(f"demo: wrote {len(paths)} tracks to {out}")


if __name__ == "__main__":
    run_stage(main)
