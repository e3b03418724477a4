"""The `spectrogenre` command line: one typer app for the library, the demo and the stages' runner."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.errors import SpectrogenreError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Turn a music library sorted by genre into a 15-second genre recogniser.")


def available_cores() -> int:
    """Cores this process may use (respects taskset/cgroup affinity), not the machine's total."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def user_errors(func):
    """Print a SpectrogenreError as one 'error: ...' line and exit 1, instead of a traceback."""
    @functools.wraps(func)
    def guarded(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SpectrogenreError as err:
            typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
            raise typer.Exit(1) from None
    return guarded


def run_stage(main) -> None:
    """Entry point of a stages/*.py script: its options from the command line, user errors as one line."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    typer.run(user_errors(main))


@app.command()
@user_errors
def scan(
    library: Annotated[Path, typer.Argument(help="Library folder laid out as <genre>/<album>/<track>.")],
    decode: Annotated[bool, typer.Option(help="Also decode every track to find unusable files.")] = False,
):
    """Summarise a library: genres, albums, tracks, and files that would be skipped or ignored."""
    from spectrogenre.audio_io import read_mono
    from spectrogenre.errors import AudioError
    from spectrogenre.library import scan_library

    found = scan_library(library)
    problems = 0
    typer.echo(f"{'genre':<20} {'albums':>6} {'tracks':>6}")
    for genre, albums in found.genres.items():
        typer.echo(f"{genre:<20} {len(albums):>6} {sum(len(a.tracks) for a in albums):>6}")
        if decode:
            for album in albums:
                for track in album.tracks:
                    try:
                        read_mono(track, sample_rate=22050)
                    except AudioError as err:
                        problems += 1
                        typer.echo(f"  unusable: {err}", err=True)
    for path, reason in found.ignored:
        typer.echo(f"  ignored: {path}: {reason}", err=True)
    if problems:
        typer.echo(f"{problems} unusable track(s): the pipeline will skip and list them", err=True)
        raise typer.Exit(1)


@app.command()
@user_errors
def demo(
    out: Annotated[Path, typer.Argument(help="Empty folder to write the demo library into.")],
    size: Annotated[float, typer.Option(help="Multiplies the albums per genre.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same audio.")] = 0,
):
    """Write the built-in synthetic demo library (9 genres) as real audio files."""
    if out.exists() and any(out.iterdir()):
        raise SpectrogenreError(f"{out} is not empty; choose a new folder")
    from spectrogenre.demo import generate_demo_library

    paths = generate_demo_library(out, size=size, seed=seed)
    typer.echo(f"wrote {len(paths)} tracks to {out}")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
