"""DVC stage `clip`: clips of the front end's length, within split groups (albums), with provenance."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.clip import clip_library
from spectrogenre.config import load_params


def main(concat: Annotated[Path, typer.Option(help="The concat stage's folder.")],
         trim: Annotated[Path, typer.Option(help="The trim stage's folder.")],
         out: Annotated[Path, typer.Option(help="Output folder.")]):
    params = load_params()
    clips = clip_library(concat, trim, out, sample_rate=params.frontend.sample_rate,
                         clip_seconds=params.frontend.clip_seconds, hop_seconds=params.clip.hop_seconds)
    print(f"clip: {len(clips)} clips")


if __name__ == "__main__":
    run_stage(main)
