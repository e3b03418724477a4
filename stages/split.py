"""DVC stage `split`: group-disjoint (album, else artist, else track) train/val/test assignment and a leak report."""

from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.stage import run_stage
from spectrogenre.config import load_params
from spectrogenre.split import split_dataset


def main(clips: Annotated[Path, typer.Option(help="The clip stage's folder.")],
         out: Annotated[Path, typer.Option(help="Output folder.")]):
    split = load_params().split
    report = split_dataset(clips, out, ratios=split.ratios, seed=split.seed)
    print(f"split: clips per set {report['clips']}, group-disjoint: {report['disjoint']}")
    for warning in report["warnings"]:
        print(f"warning: {warning}")


if __name__ == "__main__":
    run_stage(main)
