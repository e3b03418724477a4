"""The `spectrogenre` command line: one typer app for the library, the demo and the stages' runner."""

from __future__ import annotations

import functools
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.errors import SpectrogenreError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Turn a music library sorted by genre into a 15-second genre recogniser.")


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


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command()
@user_errors
def predict(
    paths: Annotated[list[Path], typer.Argument(help="Audio files or folders (searched recursively).")],
    model: Annotated[Path, typer.Option(help="Export folder (spec.json + model.tflite) or a .tflite file.")] = Path(
        "data/export"),
    hop: Annotated[float, typer.Option(help="Seconds from one window to the next.", min=0.5)] = 7.5,
    threshold: Annotated[float, typer.Option(help="Below this confidence the verdict is 'unsure'.", min=0,
                                             max=1)] = 0.5,
    top_k: Annotated[int, typer.Option("--top-k", help="Genres listed per track.", min=1)] = 3,
    timeline: Annotated[bool, typer.Option(help="Also show the genre of every window.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
):
    """Name the genre of songs: windows over each whole song, one verdict per track.

    Exit status 1 if any file could not be classified (the others still get verdicts).
    """
    from spectrogenre.prediction import predict_paths, render

    results = predict_paths(paths, model=model, hop_seconds=hop, threshold=threshold, top_k=top_k)
    typer.echo(render(results, output=output.value, timeline=timeline), nl=False)
    failed = sum(1 for r in results if r["error"])
    typer.echo(f"{len(results) - failed} classified, {failed} failed", err=True)
    if failed:
        raise typer.Exit(1)


@app.command()
@user_errors
def serve(
    model: Annotated[Path, typer.Option(help="Export folder (spec.json + model.tflite).")] = Path("data/export"),
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 to reach it from a phone on your Wi-Fi.")] = (
        "127.0.0.1"),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    https: Annotated[bool, typer.Option(help="Serve TLS with a generated self-signed certificate.")] = False,
    cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM) instead of a generated one.")] = None,
    key: Annotated[Path | None, typer.Option(help="TLS private key (PEM) for --cert.")] = None,
    max_upload_mb: Annotated[float, typer.Option(help="Largest upload accepted (413 above).")] = 20.0,
):
    """Serve the classification API and the phone app (open / in a browser)."""
    import uvicorn

    from spectrogenre.server.app import create_app
    from spectrogenre.server.settings import ServerSettings

    if not (model / "spec.json").exists():
        raise SpectrogenreError(f"no spec.json in {model}: run `dvc repro` first, or point --model at an export")
    if (cert is None) != (key is None):
        raise SpectrogenreError("--cert and --key go together")
    if https and cert is None:
        from spectrogenre.server.tls import local_addresses, self_signed_certificate

        cert, key = self_signed_certificate(Path.home() / ".cache" / "spectrogenre" / "tls")
        typer.echo(f"self-signed certificate for localhost and {', '.join(local_addresses())}: {cert}")
    scheme = "https" if cert else "http"
    typer.echo(f"spectrogenre: open {scheme}://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/")
    app_ = create_app(ServerSettings(export_dir=model, max_upload_mb=max_upload_mb))
    uvicorn.run(app_, host=host, port=port, ssl_certfile=cert, ssl_keyfile=key, log_level="info")


@app.command()
@user_errors
def report(
    base: Annotated[str, typer.Option(metavar="REV",
                                      help="Git revision or DVC experiment name to compare the workspace with.")],
    out: Annotated[Path, typer.Option(help="Folder for report.md and the PNG plots it links.")] = Path("reports"),
):
    """Compare the workspace with REV: params changed, metrics with deltas, confusion matrix and curves as PNG."""
    from spectrogenre.report import write_report

    typer.echo(write_report(base, out))


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
