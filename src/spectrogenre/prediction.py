"""`spectrogenre predict`: verdicts for files and folders, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import signal
import sys
import textwrap
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from tqdm import tqdm

from spectrogenre.audio_io import (
    DecodeLimits,
    DecodeWarnings,
    audio_by_content,
    is_music_file,
    unread_format,
    unreadable,
)
from spectrogenre.errors import AudioError
from spectrogenre.inference import ExportedModel, can_predict, classify_file
from spectrogenre.library.sources import local_file_path
from spectrogenre.playlists import is_playlist, playlist_entries
from spectrogenre.shown import (
    names_width,
    padded,
    percent,
    shown_path,
    shown_text,
    text_path,
)
from spectrogenre.verdicts import NO_MUSIC, UNSURE, reported
from spectrogenre.walk import walk


@dataclass
class Survey:
    """What `predict` and `tag` were given, from one walk of each folder. files: paths as given, folders searched
    recursively (walk.py) for entries named as audio (music in a format not read too: it gets its error), in a
    stable order, each file once; not_audio: the folders' other files, counted by suffix; passed_over: the
    folders walk.py passed over and files it listed once, each with why; system_files: the folders' system
    files (walk.py), passed over unlisted, for a caller that reports its own among them; without_audio: the
    folders given that hold nothing named as audio (said, as a wrong path beside right ones is easily missed);
    listed_in: for each file a playlist given named, where ("pl.m3u, line 3"), for its row's error; not_files: a
    playlist's lines and the arguments that name no file on this machine (a stream's URL, `-`), with why."""

    files: list[Path] = field(default_factory=list)
    not_audio: dict[str, int] = field(default_factory=dict)
    passed_over: list[tuple[Path, str]] = field(default_factory=list)
    system_files: list[Path] = field(default_factory=list)
    without_audio: list[Path] = field(default_factory=list)
    listed_in: dict[Path, str] = field(default_factory=dict)
    not_files: list[str] = field(default_factory=list)

    def summary_ending(self) -> str:
        """What a run's last line ("3 classified, 1 failed") adds for arguments and playlist lines naming no file."""
        return f", {len(self.not_files)} argument(s) or playlist line(s) naming no file" if self.not_files else ""

    def passed_over_note(self) -> str | None:
        """The folders and links passed over, the first three with why, as a line; None where there are none."""
        if not self.passed_over:
            return None
        shown = "; ".join(f"{path}: {why}" for path, why in self.passed_over[:3])
        return (f"passed over {len(self.passed_over)} folder(s) or link(s) (system, hidden, unreadable or repeated): "
                f"{shown}{'; ...' if len(self.passed_over) > 3 else ''}")

    def notes(self, *, named_elsewhere: Iterable[Path] = ()) -> list[str]:
        """What the folders held that is not classified, as lines for the end of a run (predict's and tag's);
        named_elsewhere: system files the caller names itself (tag's leftover temporary copies)."""
        notes = []
        if self.without_audio:
            notes.append(f"found no audio files in {', '.join(map(str, self.without_audio))}")
        notes += [f"{shown_text(line)}: not classified" for line in self.not_files]
        elsewhere = set(named_elsewhere)
        # hidden files named like audio are said, as covers are: a dot-file may be a song the user hid or renamed
        hidden = [path for path in self.system_files if is_music_file(path) and path not in elsewhere]
        if self.not_audio:
            notes.append(f"passed over {sum(self.not_audio.values())} file(s) that are not audio ("
                         f"{', '.join(f'{suffix}: {n}' for suffix, n in sorted(self.not_audio.items()))})")
        if (passed := self.passed_over_note()) is not None:
            notes.append(passed)
        if hidden:
            notes.append(f"passed over {len(hidden)} hidden file(s) named like audio (a name starting with a dot: "
                         f"macOS's ._ copies, tag's temporary copies): {', '.join(map(str, hidden[:3]))}"
                         f"{', ...' if len(hidden) > 3 else ''}")
        return notes


def survey(paths: list[Path]) -> Survey:
    """See Survey. A playlist given (playlists.PLAYLIST_SUFFIXES) stands for the files it names. Whatever is named as audio is
    listed, a named pipe, a dangling link or a folder called x.mp3 that holds no audio too, so that predict says
    what it is rather than passing it over. System entries inside a folder (macOS's ._ copies, a tag write's
    temporary copy, .stversions) are passed over; a playlist inside a folder is not read (its tracks would be
    classified twice, or outside the folder given)."""
    found = Survey()
    for path in paths:
        if not os.path.lexists(path):  # no file has the name as given: a URI, `-`?
            if (why := _not_a_path(str(path))) is not None:
                found.not_files.append(f"{_url_as_written(str(path))}: {why}")
                continue
            path = Path(local_file_path(str(path)) or path)
        if is_playlist(path):  # its tracks, wherever they are
            for entry in playlist_entries(path):
                where = f"{path}, line {entry.line}"
                if entry.path is None:
                    found.not_files.append(f"{where}: {entry.written}: {entry.why}")
                elif is_playlist(entry.path):
                    found.not_files.append(f"{where}: {entry.written}: a playlist, and a playlist's own playlists "
                                           f"are not read: give it as well")
                else:
                    found.files.append(entry.path)
                    found.listed_in.setdefault(entry.path, where)
            continue
        if not _is_folder(path):
            found.files.append(path)  # predict_file says what is wrong with it, if anything
            continue
        tree = walk(path)
        audio = []
        for file in tree.files:
            if is_music_file(file):  # music it cannot read gets its row: never passed over
                audio.append(file)
            else:
                suffix = file.suffix.lower() or "(no suffix)"
                found.not_audio[suffix] = found.not_audio.get(suffix, 0) + 1
        named_like_audio = [folder for folder in tree.folders[1:] if can_predict(folder)
                            and not any(folder in file.parents for file in audio)]
        found.files += sorted(audio + named_like_audio)
        if not audio and not named_like_audio:
            found.without_audio.append(path)
        found.passed_over += tree.passed_over + tree.repeated
        found.system_files += tree.system_files
    found.files, repeated = _each_once(found.files)
    found.passed_over += repeated
    return found


def _not_a_path(written: str) -> str | None:
    """Why an argument that names no file is no path at all (`-`, a URL: typer's Path has made `https://` of it
    `https:/`), said as such rather than "no such file"; None for a path, or a local file:// URI."""
    if written == "-":
        return "standard input is not read: give the songs' files, folders or playlists"
    scheme = written.split(":/", 1)[0] if ":/" in written else ""
    if len(scheme) > 1 and scheme.replace("+", "").replace("-", "").replace(".", "").isalnum() and scheme != "file":
        return f"a URL ({scheme}), not a file on this machine: download it first"
    return None


def _url_as_written(written: str) -> str:
    """A URL as the user wrote it: typer's Path has made `https:/` of its `https://`."""
    scheme, slash, rest = written.partition(":/")
    return f"{scheme}://{rest}" if slash and not rest.startswith("/") else written


def _each_once(files: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """`files` without the later names of a file already listed (given twice, inside a folder also given, or
    through a link, symbolic or hard): each is classified once, under the first name it was given by; and (name,
    why) for each later name that is another name for it (a link), so that no name given goes unsaid."""
    seen: dict[object, Path] = {}
    once, repeated = [], []
    for file in files:
        if (same := _file_identity(file)) not in seen:
            seen[same] = file
            once.append(file)
        elif os.path.abspath(file) != os.path.abspath(seen[same]):
            repeated.append((file, f"the same file as {shown_path(seen[same])}: classified once, under that name"))
    return once, repeated


def _file_identity(file: Path) -> object:
    """What is the same for every name of one file: its device and inode (a hard link is a name of its own, which
    no path resolves to another); where it cannot be read (a broken link), its resolved path."""
    try:
        found = os.stat(file)
    except (OSError, ValueError):
        return os.path.realpath(file)
    return found.st_dev, found.st_ino


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # inside a folder it may not read: not a folder it can search
        return False


def predict_file(path: Path, exported: ExportedModel, *, hop_seconds: float | None, threshold: float | None,
                 top_k: int, limits: DecodeLimits | None = None) -> dict:
    """One result row; a problem with the file goes in 'error' instead of raising.

    genre: the genre, UNSURE (below `threshold`, default the export's) or NO_MUSIC (then
    confidence is None and top is empty). warnings: what decoding found wrong with the file though it went on (a
    file cut short, damage decoded past), each as the log's line says it after the file's name, as the server's
    answer has them.
    """
    limits = limits or DecodeLimits()
    if limits.warnings is None:
        limits = replace(limits, warnings=DecodeWarnings())
    row = {"path": str(path), "genre": None, "confidence": None, "top": [], "windows": [], "error": None,
           "warnings": limits.warnings.problems}
    try:
        if (problem := unreadable(path)) is not None:
            raise AudioError(path, problem)
        # a file named as no audio format is read where its content is one a decoder here knows: a video's .mkv, a
        # download without a suffix (given by name: a folder's such files are counted as not audio, never read)
        if not can_predict(path) and (unread_format(path) or not audio_by_content(path)):
            raise AudioError(path, unread_format(path) or f"unsupported file type {path.suffix or '(none)'}: not "
                                                          f"audio that spectrogenre reads, by its name or its content")
        verdict = classify_file(path, exported, hop_seconds=hop_seconds, unsure_below=threshold,
                                limits=limits)
    except AudioError as err:
        row["error"] = err.problem
        return row
    row.update(genre=verdict.shown, confidence=None if verdict.status == NO_MUSIC else reported(verdict.confidence),
               top=[{"genre": g, "probability": reported(p)} for g, p in verdict.top(top_k)],
               windows=verdict.windows)
    return row


def predict_each(given: Survey, *, model: Path, hop_seconds: float | None, threshold: float | None,
                 top_k: int, cancelled: threading.Event | None = None) -> Iterator[dict]:
    """One result row per file `given`, each as soon as it is done, with a progress bar on a terminal; an error
    says where a playlist listed the file. The export is loaded now, before the first row is asked for: a bad
    export is one error before any output, not a half-written table. Setting `cancelled` stops a file's decoding
    at its next block."""
    exported = ExportedModel.load(model)
    cancelled = cancelled or threading.Event()

    def row_of(path: Path) -> dict:
        row = predict_file(path, exported, hop_seconds=hop_seconds, threshold=threshold, top_k=top_k,
                           limits=DecodeLimits(cancelled=cancelled))
        if row["error"] and path in given.listed_in:
            row["error"] += f" (listed in {given.listed_in[path]})"
        return row

    files = given.files
    return map(row_of, tqdm(files, unit="file", disable=None if len(files) > 1 else True, leave=False))


@contextmanager
def warnings_above_the_bar() -> Iterator[None]:
    """While it lasts, log warnings (a file's damage, named as it is decoded) are written through tqdm, which clears
    predict_each's progress bar, writes the line and draws the bar again: written straight to stderr, a warning
    followed the bar on its line. They are printed as Python's last-resort handler prints them: WARNING and up,
    the message alone."""
    handler = _AboveTheBar(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


class _AboveTheBar(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001 (as logging's own handlers: a failed write is reported, never raised)
            self.handleError(record)


def written_above_the_bar(write, text: str) -> None:
    """`write(text)` on standard output with the progress bar (stderr, on the same terminal) cleared first and
    drawn again after, so that a row starts at the start of its line."""
    with tqdm.external_write_mode(file=sys.stdout):
        write(text)


@contextmanager
def ctrl_c_noticed() -> Iterator[threading.Event]:
    """An event set by Ctrl-C (SIGINT), which still raises KeyboardInterrupt. soundfile reads through cffi
    callbacks, and cffi prints and drops an exception raised inside one: the interrupt is lost, and the
    decode it broke fails as if the file were corrupt. The event outlives it (check it before trusting a
    row), and stops the decoding at its next block; the dropped interrupt's traceback is not printed."""
    noticed = threading.Event()
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:  # ignored, or someone else's
        yield noticed
        return

    def on_ctrl_c(signum, frame):
        noticed.set()
        raise KeyboardInterrupt

    def unraisable(info, default=sys.unraisablehook):
        if not (noticed.is_set() and isinstance(info.exc_value, KeyboardInterrupt)):
            default(info)

    previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable
    signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        yield noticed
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.unraisablehook = previous_hook


def until_ctrl_c(rows: Iterable, interrupted: threading.Event, *, happened=lambda row: False) -> Iterator:
    """`rows`, ending in KeyboardInterrupt at the first one finished after ctrl_c_noticed's event was set: that
    row's error is the decode the Ctrl-C broke, not its file's. Unless `happened(row)`: a change to a file that
    was made (the interrupt fell where it could not stop the write) is yielded first, so that it is reported."""
    for row in rows:
        if interrupted.is_set():
            if happened(row):
                yield row
            raise KeyboardInterrupt
        yield row


# A CSV row's warnings, in one cell: a warning's own text holds semicolons and commas (and may quote ffmpeg's
# words), which this separator stands apart from.
WARNINGS_APART = " | "
# A spreadsheet opening the CSV takes a cell starting with one of these for a formula: a file named
# =HYPERLINK(...).mp3 would be run, not shown (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def path_cell(path: str) -> str:
    """A path as a CSV cell no spreadsheet runs: a relative one starting as a formula gets "./" before it (the same
    file, as any program reads it); text_path's path otherwise as it is."""
    return f"./{path}" if path.startswith(FORMULA_STARTS) else path


def text_cell(cell):
    """A CSV cell of text no spreadsheet runs: one starting as a formula (a genre named by a library's folder, an
    error quoting a name) gets an apostrophe before it, which a spreadsheet reads as "this is text" and hides;
    numbers as they are."""
    return f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell


def window_confidence(window: dict) -> str:
    """A timeline window's confidence as text: "" for a quiet one, "48%  (Rock)" for an unsure one (its best guess)."""
    if window["confidence"] is None:
        return ""
    guess = f"  ({window['best_guess']})" if window["genre"] == UNSURE else ""
    return f"{percent(window['confidence'])}{guess}"


class Rendering:
    """Result rows as text, one row at a time, so that each is shown as soon as its file is done and a run
    stopped part way leaves whole output: head(), row(r) per result, tail(). For the table, the names' column
    is as wide as the longest of `paths` (all known before the first result), up to NAME_COLUMNS (shown.py)."""

    def __init__(self, *, output: str, timeline: bool, paths: list[str]):
        self.output, self.timeline, self.rows = output, timeline, 0
        self.width = names_width(paths)

    def head(self) -> str:
        if self.output == "json":
            return "["
        if self.output == "csv":
            return self._csv(["path", "genre", "confidence", "top", "error", "warnings"]
                             + (["window_start_s", "window_genre", "window_confidence"] if self.timeline else []))
        return ""

    def row(self, r: dict) -> str:
        self.rows += 1
        if self.output == "json":
            shown = {k: text_path(v) if k == "path" else v for k, v in r.items() if self.timeline or k != "windows"}
            return ("\n" if self.rows == 1 else ",\n") + textwrap.indent(json.dumps(shown, indent=2), "  ")
        if self.output == "csv":
            top = ";".join(f"{t['genre']}:{t['probability']}" for t in r["top"])
            base = [text_path(r["path"]), r["genre"] or "", r["confidence"] if r["confidence"] is not None else "",
                    top, r["error"] or "", WARNINGS_APART.join(r["warnings"])]
            if self.timeline and r["windows"]:
                return "".join(self._csv(base + [w["start_s"], w["genre"], w["confidence"]]) for w in r["windows"])
            return self._csv(base + ([""] * 3 if self.timeline else []))
        name = padded(shown_path(r["path"]), self.width)
        if r["error"]:
            return f"{name}  ERROR  {shown_text(r['error'])}\n"
        if r["genre"] == NO_MUSIC:
            lines = [f"{name}  {NO_MUSIC}"]
        else:
            top = ", ".join(f"{t['genre']} {percent(t['probability'])}" for t in r["top"])
            lines = [f"{name}  {r['genre']:<12} {percent(r['confidence'])}  ({top})"]
        if self.timeline:
            lines += [f"    {w['start_s']:7.1f}-{w['end_s']:7.1f} s  {w['genre']:<12} {window_confidence(w)}".rstrip()
                      for w in r["windows"]]
        return "\n".join(lines) + "\n"

    def tail(self) -> str:
        if self.output == "json":
            return "\n]\n" if self.rows else "]\n"
        return "\n" if self.output == "table" and not self.rows else ""

    @staticmethod
    def _csv(cells: list) -> str:
        """One CSV line of cells, the first a path: none of them a spreadsheet would run (path_cell, text_cell)."""
        buffer = io.StringIO()
        csv.writer(buffer).writerow([path_cell(cells[0]), *map(text_cell, cells[1:])])
        return buffer.getvalue()


def render(results: list[dict], *, output: str, timeline: bool) -> str:
    """All of `results` as one text (Rendering, whole)."""
    rendering = Rendering(output=output, timeline=timeline, paths=[r["path"] for r in results])
    return rendering.head() + "".join(rendering.row(r) for r in results) + rendering.tail()
