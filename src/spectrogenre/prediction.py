"""`spectrogenre predict`: verdicts for files and folders, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from rich.cells import cell_len
from tqdm import tqdm

from spectrogenre.audio_io import DecodeLimits, unreadable
from spectrogenre.errors import AudioError
from spectrogenre.inference import ExportedModel, can_predict, classify_file
from spectrogenre.shown import shown_path, text_path
from spectrogenre.verdicts import NO_MUSIC
from spectrogenre.walk import walk


@dataclass
class Survey:
    """What `predict` and `tag` were given, from one walk of each folder. files: paths as given, folders searched
    recursively (walk.py) for entries named as audio, in a stable order, each file once; not_audio: the folders'
    other files, counted by suffix; passed_over: the folders walk.py passed over and files it listed once, each
    with why; system_files: the folders' system files (walk.py), passed over unlisted, for a caller that reports
    its own among them."""

    files: list[Path] = field(default_factory=list)
    not_audio: dict[str, int] = field(default_factory=dict)
    passed_over: list[tuple[Path, str]] = field(default_factory=list)
    system_files: list[Path] = field(default_factory=list)

    def notes(self) -> list[str]:
        """What the folders held that is not classified, as lines for the end of a run (predict's and tag's)."""
        notes = []
        if self.not_audio:
            notes.append(f"passed over {sum(self.not_audio.values())} files that are not audio ("
                         f"{', '.join(f'{suffix}: {n}' for suffix, n in sorted(self.not_audio.items()))})")
        if self.passed_over:
            shown = "; ".join(f"{path}: {why}" for path, why in self.passed_over[:3])
            notes.append(f"passed over {len(self.passed_over)} system folder(s) or repeated link(s): {shown}"
                         f"{'; ...' if len(self.passed_over) > 3 else ''}")
        return notes


def survey(paths: list[Path]) -> Survey:
    """See Survey. Whatever is named as audio is listed, a named pipe, a dangling link or a folder called
    x.mp3 that holds no audio too, so that predict says what it is rather than passing it over. System
    entries inside a folder (macOS's ._ copies, a tag write's temporary copy, .stversions) are passed over.
    """
    found = Survey()
    for path in paths:
        if not _is_folder(path):
            found.files.append(path)  # predict_file says what is wrong with it, if anything
            continue
        tree = walk(path)
        audio = []
        for file in tree.files:
            if can_predict(file):
                audio.append(file)
            else:
                suffix = file.suffix.lower() or "(no suffix)"
                found.not_audio[suffix] = found.not_audio.get(suffix, 0) + 1
        named_like_audio = [folder for folder in tree.folders[1:] if can_predict(folder)
                            and not any(folder in file.parents for file in audio)]
        found.files += sorted(audio + named_like_audio)
        found.passed_over += tree.passed_over + tree.repeated
        found.system_files += tree.system_files
    found.files = _each_once(found.files)
    return found


def _each_once(files: list[Path]) -> list[Path]:
    """`files` without the later names of a file already listed (given twice, inside a folder also given, or
    through a link): each is classified once, under the first name it was given by."""
    seen, once = set(), []
    for file in files:
        if (real := os.path.realpath(file)) not in seen:
            seen.add(real)
            once.append(file)
    return once


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # inside a folder it may not read: not a folder it can search
        return False


def predict_file(path: Path, exported: ExportedModel, *, hop_seconds: float | None, threshold: float | None,
                 top_k: int, limits: DecodeLimits | None = None) -> dict:
    """One result row; a problem with the file goes in 'error' instead of raising.

    genre: the genre, UNSURE (below `threshold`, default the export's) or NO_MUSIC (then
    confidence is None and top is empty).
    """
    row = {"path": str(path), "genre": None, "confidence": None, "top": [], "windows": [], "error": None}
    try:
        if (problem := unreadable(path)) is not None:
            raise AudioError(path, problem)
        if not can_predict(path):
            raise AudioError(path, f"unsupported file type {path.suffix or '(none)'}")
        verdict = classify_file(path, exported, hop_seconds=hop_seconds, unsure_below=threshold,
                                limits=limits or DecodeLimits())
    except AudioError as err:
        row["error"] = err.problem
        return row
    row.update(genre=verdict.shown, confidence=None if verdict.status == NO_MUSIC else round(verdict.confidence, 4),
               top=[{"genre": g, "probability": round(p, 4)} for g, p in verdict.top(top_k)],
               windows=verdict.windows)
    return row


def predict_paths(files: list[Path], *, model: Path, hop_seconds: float | None, threshold: float | None,
                  top_k: int) -> list[dict]:
    """One result row per file (`survey(...).files`), with a progress bar on a terminal."""
    exported = ExportedModel.load(model)
    return [predict_file(path, exported, hop_seconds=hop_seconds, threshold=threshold, top_k=top_k)
            for path in tqdm(files, unit="file", disable=None if len(files) > 1 else True, leave=False)]


def render(results: list[dict], *, output: str, timeline: bool) -> str:
    if output == "json":
        rows = [{k: text_path(v) if k == "path" else v for k, v in r.items() if timeline or k != "windows"}
                for r in results]
        return json.dumps(rows, indent=2) + "\n"
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["path", "genre", "confidence", "top", "error"] + (["window_start_s", "window_genre",
                                                                           "window_confidence"] if timeline else []))
        for r in results:
            top = ";".join(f"{t['genre']}:{t['probability']}" for t in r["top"])
            base = [text_path(r["path"]), r["genre"] or "", r["confidence"] if r["confidence"] is not None else "", top,
                    r["error"] or ""]
            if timeline and r["windows"]:
                for w in r["windows"]:
                    writer.writerow(base + [w["start_s"], w["genre"], w["confidence"]])
            else:
                writer.writerow(base + ([""] * 3 if timeline else []))
        return buffer.getvalue()
    lines = []
    names = [shown_path(r["path"]) for r in results]
    width = max(cell_len(name) for name in names)  # columns on screen: a CJK character takes two
    names = [name + " " * (width - cell_len(name)) for name in names]
    for name, r in zip(names, results):
        if r["error"]:
            lines.append(f"{name}  ERROR  {r['error']}")
            continue
        if r["genre"] == NO_MUSIC:
            lines.append(f"{name}  {NO_MUSIC}")
        else:
            top = ", ".join(f"{t['genre']} {t['probability']:.0%}" for t in r["top"])
            lines.append(f"{name}  {r['genre']:<12} {r['confidence']:.0%}  ({top})")
        if timeline:
            lines += [f"    {w['start_s']:7.1f}-{w['end_s']:7.1f} s  {w['genre']:<12} "
                      f"{'' if w['confidence'] is None else format(w['confidence'], '.0%')}".rstrip()
                      for w in r["windows"]]
    return "\n".join(lines) + "\n"
