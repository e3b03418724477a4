"""The `spectrogenre` command line: one typer app for the library, the demo and the stages' runner."""

from __future__ import annotations

import dataclasses
import errno
import functools
import math
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from spectrogenre.errors import SpectrogenreError
from spectrogenre.stage import user_errors


def finite(value: float | None) -> float | None:
    """typer callback: a range check lets inf and nan through (nan compares false with any bound)."""
    if value is not None and not math.isfinite(value):
        raise typer.BadParameter(f"must be a finite number, got {value}")
    return value


PATHS_HELP = "Audio files, folders (searched recursively) or playlists (.m3u, .m3u8, .pls, .xspf, .wpl)."

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Turn a music library sorted by genre into a 15-second genre recogniser.")


@app.callback()
def options(verbose: Annotated[bool, typer.Option("--verbose", help="Also show the libraries' own log lines "
                                                                    "(TensorFlow, LiteRT).")] = False):
    if verbose:
        os.environ["SPECTROGENRE_VERBOSE"] = "1"
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
    # a file's name the output's encoding cannot hold (an emoji where it is Latin-1) is written escaped, as Python
    # writes it to stderr, not a UnicodeEncodeError halfway through the results
    if callable(getattr(sys.stdout, "reconfigure", None)):
        sys.stdout.reconfigure(errors="backslashreplace")


class Layout(str, Enum):
    folders = "folders"
    flat = "flat"
    tags = "tags"
    manifest = "manifest"


@app.command()
@user_errors
def scan(
    library: Annotated[Path | None, typer.Argument(
        help="Library folder, or a manifest CSV/TSV. Default: `library` in --params.")] = None,
    layout: Annotated[Layout | None, typer.Option(
        help="How the library names genres. Default: source.layout in --params (a file: manifest).")] = None,
    params_file: Annotated[Path | None, typer.Option("--params", help="params.yaml to read the source, genre map, "
                                                                       "model kind and cross-validation from. "
                                                                       "Default: ./params.yaml if there is one.")] = None,
    decode: Annotated[bool, typer.Option(help="Also decode every track (slow) to find files that cannot be.")] = False,
    verbose: Annotated[bool, typer.Option(help="List every file left out, not a few per reason.")] = False,
):
    """Check a library before training: genres, groups and hours, and every problem the pipeline would stop on.

    Reads headers and tags only (seconds for thousands of tracks). Exit status 1 when the
    pipeline would fail on this library; the problems and a suggested genre map go to stderr.
    """
    from spectrogenre.config import kind_requirement, load_params, parse_params
    from spectrogenre.library.scan import decode_check, render
    from spectrogenre.library.scan import scan as scan_catalog

    if params_file is not None and not params_file.is_file():
        raise SpectrogenreError(f"{params_file}: no such params file")
    params_file = params_file or Path("params.yaml")
    if library is None and not params_file.is_file():
        raise SpectrogenreError("no library given, and no params.yaml here to name one: "
                                "spectrogenre scan <library folder or manifest>")
    params = load_params(params_file) if params_file.is_file() else parse_params({"library": str(library)})
    # params.yaml's `library`, where relative, is read from the params file's folder: the project's, for the stages
    library = Path(library) if library is not None else params_file.parent / params.library
    chosen = layout.value if layout else (
        # a file can only be a manifest, whatever its name (Excel saves "Unicode text" as .txt)
        "manifest" if library.is_file() else params.source.layout)
    params = dataclasses.replace(params, source=dataclasses.replace(params.source, layout=chosen))
    requirement = kind_requirement(params)
    catalog, report = scan_catalog(library, params, model_requirement=requirement)
    if decode:
        catalog, report = decode_check(catalog, params, model_requirement=requirement)
    table, problems = render(report, layout=chosen, library=library, verbose=verbose)
    typer.echo(table, nl=False)
    typer.echo(problems, err=True, nl=False)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
@user_errors
def demo(
    out: Annotated[Path, typer.Argument(help="Empty folder to write the demo library into.")],
    size: Annotated[float, typer.Option(help="Multiplies the albums per genre.", min=0, callback=finite)] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same audio.")] = 0,
):
    """Write the built-in synthetic demo library (9 genres) as real audio files."""
    if out.exists() and not out.is_dir():
        raise SpectrogenreError(f"{out} is a file, not a folder; choose a new folder")
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
    paths: Annotated[list[Path], typer.Argument(help=PATHS_HELP,
                                                 readable=False)],  # a file it may not read gets its own error row
    model: Annotated[Path, typer.Option(help="Export folder (spec.json + model.tflite) or a .tflite file.")] = Path(
        "data/export"),
    hop: Annotated[float | None, typer.Option(
        help="Seconds from one window to the next. Default: the export's (spec.json windows.hop_seconds).", min=0.5,
        show_default=False, callback=finite)] = None,
    threshold: Annotated[float | None, typer.Option(
        help="Below this confidence the verdict is 'unsure'. Default: the export's (spec.json verdict.unsure_below).",
        min=0, max=1, show_default=False, callback=finite)] = None,
    top_k: Annotated[int, typer.Option("--top-k", help="Genres listed per track.", min=1)] = 3,
    timeline: Annotated[bool, typer.Option(help="Also show the genre of every window.")] = False,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.table,
):
    """Name the genre of songs: windows over each whole song, one verdict per track.

    Exit status 1 if any file could not be classified (the others still get verdicts).
    """
    from spectrogenre.prediction import (
        Rendering,
        ctrl_c_noticed,
        predict_each,
        until_ctrl_c,
        warnings_above_the_bar,
        written_above_the_bar,
    )

    given = _audio_files(paths)
    rendering = Rendering(output=output.value, timeline=timeline, paths=[str(p) for p in given.files])
    show = functools.partial(written_above_the_bar, _written)  # typer.echo flushes: each row is seen as it is done
    with ctrl_c_noticed() as interrupted, warnings_above_the_bar():
        rows = predict_each(given, model=model, hop_seconds=hop, threshold=threshold, top_k=top_k,
                            cancelled=interrupted)
        show(rendering.head())
        done = failed = 0
        try:
            for row in until_ctrl_c(rows, interrupted):
                show(rendering.row(row))
                done, failed = done + 1, failed + bool(row["error"])
        except KeyboardInterrupt:  # what is done stays whole (JSON closed), and says how far it got
            show(rendering.tail())
            typer.echo(f"interrupted: {done} of {len(given.files)} files done ({done - failed} classified, "
                       f"{failed} failed); the others were not classified", err=True)
            raise typer.Exit(130) from None
    show(rendering.tail())
    for note in given.notes():
        typer.echo(note, err=True)
    typer.echo(f"{done - failed} classified, {failed} failed{given.summary_ending()}", err=True)
    if failed or given.not_files:
        raise typer.Exit(1)


def _written(text: str) -> None:
    """`text` on standard output; a write that fails (a full disk, a device error) is one error line, not a
    traceback. A closed pipe (`| head`) is left to click, which ends quietly."""
    try:
        # color=True: click would strip what looks like a colour code from a name where the output is not a
        # terminal, and a CSV piped on would name a file that does not exist
        typer.echo(text, nl=False, color=True)
    except OSError as err:
        if err.errno == errno.EPIPE:
            raise
        raise SpectrogenreError(f"cannot write the results to standard output ({err.strerror or err}): they are "
                                f"incomplete") from None


@app.command("app")
@user_errors
def build_app(
    out: Annotated[Path, typer.Argument(help="Folder to write the site into: a new or empty one, or an earlier "
                                             "build (replaced whole).")],
    model: Annotated[Path, typer.Option(help="Export folder (spec.json + model.tflite).")] = Path("data/export"),
):
    """Write the phone app as a static site: any static HTTPS host serves it, and it runs offline once installed."""
    from spectrogenre.webapp import build_site

    built = build_site(model, out)
    typer.echo(f"app: {built['files']} files, {built['bytes'] / 2**20:.1f} MB in {out} (build {built['build']}); "
               f"try it: python -m http.server -d {out} 8000, then open http://localhost:8000/")


@app.command()
@user_errors
def serve(
    model: Annotated[Path, typer.Option(help="Export folder (spec.json + model.tflite).")] = Path("data/export"),
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 to reach it from a phone on your Wi-Fi.")] = (
        "127.0.0.1"),
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    https: Annotated[bool, typer.Option(help="Serve TLS with a self-signed certificate, made once and kept in your "
                                             "config folder.")] = False,
    cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM) instead of the self-signed one.")] = None,
    key: Annotated[Path | None, typer.Option(help="TLS private key (PEM) for --cert.")] = None,
    max_upload_mb: Annotated[float, typer.Option(help="Largest upload accepted (413 above).")] = 20.0,
    max_duration: Annotated[float, typer.Option(help="Most seconds of decoded audio per upload (413 above).")] = 600.0,
    time_limit: Annotated[float, typer.Option(help="Seconds to decode and classify one upload before the work is "
                                                   "stopped (422).")] = 60.0,
    workers: Annotated[int | None, typer.Option(help="Uploads classified at once, each with its own interpreter. "
                                                     "Default: the cores this process may use.", min=1,
                                                show_default=False)] = None,
    queue: Annotated[int, typer.Option(help="Uploads that may wait for a worker; beyond, 503 with Retry-After.",
                                       min=0)] = 8,
    max_connections: Annotated[int, typer.Option(help="Open connections at once (503 with Retry-After beyond).",
                                                 min=1)] = 256,
):
    """Serve the classification API and the phone app (open / in a browser)."""
    import uvicorn

    from spectrogenre.inference import ExportedModel
    from spectrogenre.server.app import create_app
    from spectrogenre.server.protocol import with_head_timeout
    from spectrogenre.server.settings import server_settings

    if not (model / "spec.json").exists():
        raise SpectrogenreError(f"no spec.json in {model}: run `dvc repro` first, or point --model at an export")
    if (cert is None) != (key is None):
        raise SpectrogenreError("--cert and --key go together")
    if cert is not None:
        from spectrogenre.server.tls import check_pair

        check_pair(cert, key)
    if https and cert is None:
        from spectrogenre.server.tls import certificate_for

        cert, key, made = certificate_for()
        typer.echo(f"{'made a new' if made else 'using the'} self-signed certificate {cert} (a phone asks to "
                   f"accept each certificate once)")
    settings = server_settings(export_dir=model, max_upload_mb=max_upload_mb, max_duration_s=max_duration,
                               time_limit_s=time_limit, queue=queue, max_connections=max_connections,
                               **({"workers": workers} if workers else {}))
    # loaded here, not in the server's startup, where a damaged export is a traceback and "Application startup
    # failed", not one line naming it
    exported = ExportedModel.load(model, copies=settings.workers)
    listening = _listening_socket(host, port)  # before anything says where to open it
    scheme = "https" if cert else "http"
    typer.echo(f"spectrogenre: open {scheme}://{'localhost' if host in ('127.0.0.1', '0.0.0.0', '::') else host}:{port}/")
    if host in ("0.0.0.0", "::"):
        from spectrogenre.server.tls import lan_addresses

        addresses = lan_addresses()
        typer.echo("on a phone on the same network: " + (", ".join(f"{scheme}://{a}:{port}/" for a in addresses)
                                                         or "(this machine has no network address)"))
        if scheme == "http":
            typer.echo("(a phone's browser allows the microphone only over HTTPS: add --https)")
    config = uvicorn.Config(create_app(settings, exported), host=host, port=port, ssl_certfile=cert, ssl_keyfile=key,
                            http=with_head_timeout(settings.head_timeout_s, max_connections=max_connections),
                            timeout_keep_alive=5, log_level="info")
    uvicorn.Server(config).run(sockets=[listening])


def _listening_socket(host: str, port: int):
    """A socket bound to host:port for the server, or one line saying why it cannot be (another server there)."""
    import socket

    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn's own: a restart may reuse the port
    try:
        listening.bind((host, port))
    except OSError as err:
        listening.close()
        raise SpectrogenreError(f"cannot listen on {host}:{port}: {err.strerror or err}"
                                f"{' (another server is there: choose another --port)' if err.errno == errno.EADDRINUSE else ''}"
                                ) from None
    listening.set_inheritable(True)
    return listening


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
@user_errors
def worker(
    ctx: typer.Context,
    scheduler: Annotated[str, typer.Argument(metavar="ADDRESS", show_default=False,
                                             help="The Dask scheduler's address, the one SPECTROGENRE_SCHEDULER "
                                                  "names (tcp://host:8786).")],
):
    """Start a Dask worker for the data stages, with the kernels every stage pins (numpy, OpenBLAS, TensorFlow), so
    a cluster of any CPUs writes the same bytes as one machine. Options after the address go to `dask worker`
    (--nthreads 2 --memory-limit 4GB)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise SpectrogenreError('Dask is not installed: pip install -e ".[cluster]" -c constraints.txt') from None
    from spectrogenre.cluster import check_scheduler
    from spectrogenre.portable import worker_environment

    if scheduler.startswith("-"):  # typer took the first of dask's options for the address
        given = [scheduler, *ctx.args]
        address = next((arg for arg in given if "://" in arg), "tcp://scheduler:8786")
        raise SpectrogenreError(f"the scheduler's address comes first, then dask worker's options: spectrogenre "
                                f"worker {' '.join([address, *(arg for arg in given if arg != address)])}")
    if (problem := _memory_limit_problem(ctx.args)) is not None:
        raise SpectrogenreError(problem)
    check_scheduler(scheduler, given_as="the scheduler's address")
    typer.echo(f"spectrogenre: a Dask worker for {scheduler}, its kernels pinned (Ctrl-C stops it)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "dask", "worker", scheduler, *ctx.args],
              worker_environment(os.environ))


def _memory_limit_problem(args: list[str]) -> str | None:
    """What is wrong with a `--memory-limit` among dask worker's options, said before the worker starts (dask's own
    answer is a traceback); None where it is bytes ("4GB", "4GiB", 4000000000), a fraction of the machine's memory
    (0.5) or "auto"."""
    from dask.utils import parse_bytes

    for i, arg in enumerate(args):
        if arg.startswith("--memory-limit="):
            value = arg.partition("=")[2]
        elif arg == "--memory-limit":
            if i + 1 == len(args):
                return "--memory-limit needs a value: bytes (4GB), a fraction of the machine's memory (0.5) or auto"
            value = args[i + 1]
        else:
            continue
        if value.lower() == "auto":
            continue
        try:
            float(value)
            continue
        except ValueError:
            pass
        try:
            parse_bytes(value)
        except ValueError as err:
            return (f"--memory-limit {value}: {err} (give bytes as 4GB or 4GiB, a fraction of the machine's memory "
                    f"as 0.5, or auto)")
    return None


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


class TagMode(str, Enum):
    replace = "replace"
    append = "append"


@app.command()
@user_errors
def tag(
    paths: Annotated[list[Path] | None, typer.Argument(help=PATHS_HELP,
                                                       show_default=False, readable=False)] = None,
    model: Annotated[Path, typer.Option(help="Export folder (spec.json + model.tflite) or a .tflite file.")] = Path(
        "data/export"),
    hop: Annotated[float | None, typer.Option(
        help="Seconds from one window to the next. Default: the export's (spec.json windows.hop_seconds).", min=0.5,
        show_default=False, callback=finite)] = None,
    min_confidence: Annotated[float | None, typer.Option(
        help="A verdict below this confidence is never written. Default: the export's unsure threshold (spec.json "
             "verdict.unsure_below), so what predict, the server and the app call unsure is never written.", min=0,
        max=1, show_default=False, callback=finite)] = None,
    only_empty: Annotated[bool, typer.Option("--only-empty", help="Only tag files that have no genre.")] = False,
    mode: Annotated[TagMode, typer.Option(help="replace: the genre becomes the prediction; append: the prediction "
                                               "is added after the genres there, unless there already.")] = (
        TagMode.replace),
    write: Annotated[bool, typer.Option("--write", help="Write the tags; without it, only show what would be done.")
                     ] = False,
    log: Annotated[Path | None, typer.Option(help="Undo log the writes are appended to (default: "
                                                  "spectrogenre-tag-<YYYYmmdd-HHMMSS>.jsonl here).")] = None,
    undo: Annotated[Path | None, typer.Option(metavar="LOG", help="Reverse the writes of an undo log, latest first; "
                                                                 "genres changed since are left alone.")] = None,
):
    """Write the predicted genre into each file's own genre tag (mp3, flac, ogg, opus, m4a).

    A dry run unless --write. Each write is made on a copy, checked (same audio, other tags unchanged) and logged
    before it replaces the file; --undo LOG reverses a run. Exit status 1 if any file failed.
    """
    from spectrogenre.library.tagging import (
        LEFTOVER_COPY,
        Row,
        check_log,
        default_log,
        hard_link_note,
        leftover_copies,
        render_header,
        render_row,
        summarise,
        summarise_undo,
        tag_file,
        undo_log,
    )
    from spectrogenre.prediction import ctrl_c_noticed, until_ctrl_c
    from spectrogenre.shown import names_width, shown_path

    def shown(rows, line, *, stopped):
        """The rows, each printed as it is done. Ctrl-C ends the run saying how far it got and `stopped(done)`
        (what to do about the rest); a write it breaks leaves its file as it was (tagging.write_genres)."""
        done = []
        with ctrl_c_noticed() as interrupted:
            try:
                # a file written or restored as Ctrl-C came is one changed: said and counted as such
                for row in until_ctrl_c(rows(interrupted), interrupted,
                                        happened=lambda row: row.action in ("written", "restored")):
                    if row.warning is not None:
                        typer.echo(f"warning: {row.path}: {row.warning}", err=True)
                    else:
                        typer.echo(line(row))
                    done.append(row)
            except KeyboardInterrupt:
                typer.echo(f"interrupted: {len(done)} file(s) done; {stopped(done)}", err=True)
                raise typer.Exit(130) from None
        return done

    if undo is not None:
        if paths:
            raise SpectrogenreError("--undo takes no PATHs: the log names the files")
        rows = shown(lambda _: undo_log(undo), lambda row: f"{shown_path(row.path)}  {row.action}",
                     stopped=lambda _: f"run `spectrogenre tag --undo {undo}` again to undo the rest (what is "
                                       f"undone already is left alone)")
        typer.echo(summarise_undo(rows), err=True)
    else:
        if not paths:
            raise SpectrogenreError("give audio files, folders or playlists to tag, or --undo LOG")
        from spectrogenre.audio_io import DecodeLimits
        from spectrogenre.inference import ExportedModel
        from spectrogenre.prediction import predict_file

        def name_leftovers(given) -> None:  # even where nothing else is there to tag
            for leftover in leftover_copies(given.system_files):
                typer.echo(f"{shown_path(leftover)}: {LEFTOVER_COPY}", err=True)

        given = _audio_files(paths, before_refusal=name_leftovers)
        files = given.files
        # threshold 0: the verdict keeps its genre, and --min-confidence says "below" rather than "unsure"
        exported = ExportedModel.load(model)
        predict = functools.partial(predict_file, exported=exported, hop_seconds=hop, threshold=0, top_k=1)
        min_confidence = exported.unsure_below if min_confidence is None else min_confidence
        log = (log or default_log()) if write else None
        if log is not None:
            check_log(log)
        width = names_width(files)  # as predict's table
        typer.echo(render_header(width))

        def stopped(done) -> str:
            written = sum(row.action == "written" for row in done)
            return f"{written} written, the others not tagged" + (
                f"; undo log: {log} (spectrogenre tag --undo {log})" if written else "")

        def said_where_listed(row: Row) -> Row:  # a playlist's line, for a file it named that cannot be tagged
            where = given.listed_in.get(Path(row.path))
            return dataclasses.replace(row, action=f"{row.action} (listed in {where})") if row.failed and where else row

        rows = shown(lambda interrupted: (
            said_where_listed(tag_file(path, functools.partial(predict, limits=DecodeLimits(cancelled=interrupted)),
                                       min_confidence=min_confidence, only_empty=only_empty, mode=mode.value, log=log))
            for path in files), lambda row: render_row(row, width=width), stopped=stopped)
        if any(row.action == "written" for row in rows):
            typer.echo(f"undo log: {log} (spectrogenre tag --undo {log})", err=True)
        for note in given.notes(named_elsewhere=leftover_copies(given.system_files)):
            typer.echo(note, err=True)
        if (linked := hard_link_note(rows, dry_run=not write)) is not None:
            typer.echo(linked, err=True)
        typer.echo(summarise(rows, dry_run=not write) + given.summary_ending(), err=True)
        if given.not_files:
            raise typer.Exit(1)
    if any(row.failed for row in rows):
        raise typer.Exit(1)


def _audio_files(paths: list[Path], *, before_refusal=None):
    """What `predict` and `tag` will classify (prediction.survey); a clear error if that is nothing, after
    `before_refusal(survey)` has said what it has to say about the survey either way."""
    from spectrogenre.prediction import survey

    given = survey(paths)
    if before_refusal is not None:
        before_refusal(given)
    if not given.files and given.not_files:  # a URL, `-`, a playlist's lines: said as what they are
        raise SpectrogenreError("nothing to classify: " + "; ".join(given.notes()))
    if not given.files:  # with the folders passed over: one it may not read, a hidden one
        passed = given.passed_over_note()
        raise SpectrogenreError(f"no audio files found in {', '.join(map(str, paths))}"
                                + (f"; {passed}" if passed else ""))
    return given


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
