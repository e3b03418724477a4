"""The `scan` stage and command: list the library as params.yaml describes it, check it, write the track list.

Output folder: tracks.csv (every usable track: its genre, split group and tags, in the
order concat decodes them), skipped.csv (audio left out, and why), ignored.csv (files that
are not audio) and report.json (per-genre figures, errors, warnings, a suggested genre map, and
notes of genre names written alike that are learned as one).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from spectrogenre.files import fresh_dir, write_csv, write_json
from spectrogenre.library.checks import Report, check_catalog
from spectrogenre.library.copies import leave_out_copies
from spectrogenre.library.sources import Catalog, GenreMap, load_catalog
from spectrogenre.params import Params
from spectrogenre.shown import shown_text

TRACK_COLUMNS = ["track", "genre", "group", "grouped_by", "album", "artist", "seconds", "bytes"]


def scan(library: Path, params: Params, *, model_requirement: str | None) -> tuple[Catalog, Report]:
    """The library's catalog, copies of one file left out (library.copies), and its pre-flight report, as
    params.yaml describes them (no decoding).

    model_requirement: what the model kind lacks on this machine (config.kind_requirement), or None.
    """
    catalog = load_catalog(Path(library), layout=params.source.layout, genre_map=GenreMap(params.source.genres))
    leave_out_copies(catalog)
    return catalog, check(catalog, params, model_requirement=model_requirement)


def check(catalog: Catalog, params: Params, *, model_requirement: str | None) -> Report:
    """The pre-flight checks of `catalog` under params.yaml's split, cross-validation and model kind."""
    return check_catalog(catalog, genre_map=GenreMap(params.source.genres), clip_seconds=params.frontend.clip_seconds,
                         folds=params.crossval.folds, crossval_group=params.crossval.group,
                         model_requirement=model_requirement)


def decode_check(catalog: Catalog, params: Params, *, model_requirement: str | None) -> tuple[Catalog, Report]:
    """Decode every track as concat will; a track that fails moves to `left_out`, one whose header states no length
    takes the length decoded; the checks run again."""
    from tqdm import tqdm

    from spectrogenre.audio_io import ENDED_ITS_PROCESS
    from spectrogenre.cluster import LocalExecutor, ordered_map
    from spectrogenre.cores import available_cores

    jobs = available_cores()
    with LocalExecutor(jobs) as pool:
        tasks = ((t.path, params.frontend.sample_rate) for t in catalog.tracks)
        decoded = list(tqdm(ordered_map(pool, _decoded, tasks, in_flight=2 * jobs,
                                        if_killed=lambda _: (ENDED_ITS_PROCESS, None)),
                            total=len(catalog.tracks), unit="track", leave=False, disable=None))
    catalog.left_out += [(t.name, problem) for t, (problem, _) in zip(catalog.tracks, decoded) if problem]
    catalog.tracks = [t if t.seconds is not None else replace(t, seconds=seconds)
                      for t, (problem, seconds) in zip(catalog.tracks, decoded) if not problem]
    return catalog, check(catalog, params, model_requirement=model_requirement)


def _decoded(path: Path, sample_rate: int) -> tuple[str | None, float | None]:
    """(why `path` cannot be decoded, None) or (None, its length in seconds as decoded)."""
    from spectrogenre.audio_io import read_mono
    from spectrogenre.errors import AudioError

    try:
        return None, len(read_mono(path, sample_rate=sample_rate)) / sample_rate
    except AudioError as err:
        return err.problem, None


def library_root(library: Path) -> Path:
    """The folder track names are relative to: the library, or the manifest's folder."""
    library = Path(library)
    return library if library.is_dir() else library.parent


def write_scan(catalog: Catalog, report: Report, out_dir: Path) -> None:
    """Write tracks.csv, skipped.csv, ignored.csv and report.json into a fresh `out_dir`."""
    import pandas as pd

    out_dir = fresh_dir(out_dir)
    tracks = [[t.name, t.genre, t.group, t.grouped_by, t.album, t.artist,
               None if t.seconds is None else round(t.seconds, 3), t.bytes] for t in catalog.tracks]
    write_csv(pd.DataFrame(tracks, columns=TRACK_COLUMNS), out_dir / "tracks.csv")
    write_csv(pd.DataFrame(catalog.left_out, columns=["path", "problem"]), out_dir / "skipped.csv")
    write_csv(pd.DataFrame(catalog.ignored, columns=["path", "reason"]), out_dir / "ignored.csv")
    write_json(report.as_dict(), out_dir / "report.json")


def render(report: Report, *, layout: str, library: Path, verbose: bool = False,
           ignored_list: str | None = None) -> tuple[str, str]:
    """(the per-genre table for stdout, the problems and suggested map for stderr).

    Files left out are grouped by reason, a few examples each unless `verbose`. Files ignored are
    counted, with where they are listed (`ignored_list`, else the command that lists them), or, if
    `verbose`, listed by reason.
    """
    lines = [f"{str(library)} (layout {layout})",
             f"{'genre':<24} {'tracks':>6} {'groups':>6} {'albums':>6} {'artists':>7} {'hours':>7}  grouped by"]
    for genre, s in sorted(report.genres.items()):
        by = ", ".join(f"{k} {v}" for k, v in s["grouped_by"].items())
        lines.append(f"{shown_text(genre):<24} {s['tracks']:>6} {s['groups']:>6} {s['albums']:>6} {s['artists']:>7} "
                     f"{_hours(s):>7}  {by}")
    problems = [f"note: {note}" for note in report.genre_notes]
    if unknown := sum(s.get("tracks_of_unknown_length", 0) for s in report.genres.values()):
        problems.append(f"note: {unknown} track(s) of unknown length (their headers state none, or are read only by "
                        f"decoding: a FLAC written to a pipe, a WAV whose recorder never filled in its size, a CAF "
                        f"or RealAudio file): the hours leave them out ('+' after "
                        f"the hours, '?' where no track's length is known); `spectrogenre scan --decode` decodes them")
    sections = [("left out", report.left_out), ("note", report.notes)] + ([("ignored", report.ignored)] if verbose else [])
    for heading, entries in sections:
        for why, where in _by_reason(entries).items():
            shown = where if verbose else where[:3]
            more = (f", and {len(where) - len(shown)} more (`spectrogenre scan --verbose` lists every file)"
                    if len(where) > len(shown) else "")
            what = "file(s) or folder(s)" if heading == "ignored" else "file(s)"
            problems.append(f"{heading}: {len(where)} {what}: {why}: {', '.join(shown)}{more}")
    if report.ignored and not verbose:
        problems.append(f"ignored: {len(report.ignored)} file(s) or folder(s) that are not music (covers, playlists, "
                        f"system and hidden folders): {ignored_list or '`spectrogenre scan --verbose`'} lists them")
    problems += [f"warning: {w}" for w in report.warnings] + [f"error: {e}" for e in report.errors]
    if report.suggested_map:
        problems.append("suggested genre map (edit, then paste into params.yaml):\n" + report.suggested_map.rstrip())
    problems.append(f"{len(report.errors)} problem(s) the pipeline would stop on" if report.errors
                    else "ready: the pipeline can train on this library")
    return "\n".join(lines) + "\n", "\n".join(problems) + "\n"


def _hours(summary: dict) -> str:
    """A genre's hours for the table: '?' where no track's header states its length, a '+' where some do not."""
    unknown = summary.get("tracks_of_unknown_length", 0)
    if unknown and unknown == summary["tracks"]:
        return "?"
    return f"{summary['hours']:.2f}" + ("+" if unknown else "")


def _by_reason(entries: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for where, why in entries:
        grouped.setdefault(why, []).append(where)
    return grouped
