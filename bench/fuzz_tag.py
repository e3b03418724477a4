"""Fuzz the tag-writing path (`spectrogenre tag --write` and `--undo`) with damaged files: a clear error or a
checked write, never a crash, a changed original or a stray file.

    python -m bench.fuzz_tag --cases 300 --seed 1 --out fuzz_tag.json

The seeds and mutations are fuzz_decode's (every format `tag` writes: MP3, FLAC, Ogg Vorbis, Opus, M4A, and their
tagged variants), and so is the child process each case runs in (forked, under a wall timeout and an
address-space limit). A case writes a fixed genre with tag_file (a fixed verdict stands in for predict: the fuzz is
about writing, not classifying), its undo log in a folder of its own, then checks:
(1) nothing escapes but a row "error: ..." (tag_file's TaggingError/AudioError, shown with the file's path): no
traceback, signal, hang or memory-limit hit; (2) a failed write leaves the file byte-identical; (3) a written file
decodes to the same samples as the mutant (the product's own same_samples), stores and reads back the new genre,
and the undo log gives the old value(s) back, the samples still the same; (4) nothing else in the file's folder
changed (no temporary copy left, no neighbour touched). A broken invariant is a "violation".

With --phase undo the damage comes between the write and its undo (a file changed or broken since `tag --write`):
each seed is written once, undamaged, and each case mutates that written file and runs the undo log's line on it.
The undo must answer in a row (restored, skipped, or an error that leaves the file byte-identical); a restored file
stores the old genre and decodes as before; the folder is unchanged. The cases follow from --seed alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import fuzz_decode
from bench.fuzz_decode import cases, make_seeds, mutate, run_in_child

GENRE = "Fuzzgenre"  # no seed holds it, so every readable mutant is written
NEIGHBOUR = "neighbour.txt"  # a file beside the mutant that no write may touch
# The formats `tag` writes (tagging.WRITABLE); a webm is Opus too, but not a suffix it writes
WRITABLE_FORMATS = ("mp3_cbr", "mp3_vbr", "mp3_cbr_noxing", "mp3_vbr_noxing", "flac", "ogg_vorbis", "opus",
                    "m4a_aac", "alac")


def _verdict(path: Path) -> dict:
    return {"path": str(path), "genre": GENRE, "confidence": 0.99, "top": [], "windows": [], "error": None}


def _listing(folder: Path, *, but: Path) -> dict[str, str]:
    """Every entry of `folder` but `but`, with its bytes' digest (a folder or link: its kind)."""
    found = {}
    for entry in folder.iterdir():
        if entry.name == but.name:
            continue
        found[entry.name] = hashlib.sha256(entry.read_bytes()).hexdigest() \
            if entry.is_file() and not entry.is_symlink() else "not a file"
    return found


def _tag(path: Path, context: dict) -> dict:
    """One case, in the child: the write, its undo, and the invariants; what broke is in "violations"."""
    from spectrogenre.library.tagging import tag_file, undo_log

    original, log = Path(context["original"]), Path(context["log"])
    folder_before = _listing(path.parent, but=path)
    row = tag_file(path, _verdict, min_confidence=0.5, only_empty=False, mode=context["mode"], log=log)
    violations = []
    if _listing(path.parent, but=path) != folder_before:
        violations.append(f"the folder changed by the write: {sorted(_listing(path.parent, but=path))}")
    if row.action != "written":
        if path.read_bytes() != original.read_bytes():
            violations.append(f"{row.action!r}, but the file changed")
        if row.failed and not row.action.removeprefix("error: ").strip():
            violations.append("an error that says nothing")
        return {"action": row.action, "violations": violations}
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    value = {"action": row.action, "old": entries[-1]["old"] if entries else None, "new": [GENRE]}
    violations += _written(path, original, entries, context)
    if entries:
        undone = [r.action for r in undo_log(log)]
        value["undo"] = undone
        violations += _undone(path, original, entries[-1], undone)
        if _listing(path.parent, but=path) != folder_before:
            violations.append(f"the folder changed by the undo: {sorted(_listing(path.parent, but=path))}")
    return {**value, "violations": violations}


def _written(path: Path, original: Path, entries: list[dict], context: dict) -> list[str]:
    """What is wrong with a file tag_file says it wrote: its log line, samples, stored and read genre."""
    from spectrogenre.library.tagging import same_samples, stored_genres
    from spectrogenre.library.tags import read_tags

    if len(entries) != 1 or entries[0]["path"] != str(path):
        return [f"written, but the undo log holds {entries}"]
    new = tuple(entries[0]["new"])
    found = []
    checks = {"same samples": lambda: same_samples(original, path) or "the audio changed",
              "stored genre": lambda: stored_genres(path) == new or f"stores {stored_genres(path)}, logged {new}",
              "read genre": lambda: GENRE in read_tags(path, second_block=False).genres
              or f"reads {read_tags(path, second_block=False).genres}"}
    for name, check in checks.items():
        try:
            answer = check()
        except Exception as err:  # noqa: BLE001 - a check of a written file that fails is the finding
            answer = f"raised {type(err).__name__}: {err}"
        if answer is not True:
            found.append(f"after the write, {name}: {answer}")
    return found


def _undone(path: Path, original: Path, entry: dict, undone: list[str]) -> list[str]:
    """What is wrong after `tag --undo`: it must say restored, and give the old genre and the same samples back."""
    from spectrogenre.library.tagging import same_samples, stored_genres

    if undone != ["restored"]:
        return [f"undo answered {undone}"]
    found = []
    try:
        if stored_genres(path) != tuple(entry["old"]):
            found.append(f"after the undo, stores {stored_genres(path)}, not the old {entry['old']}")
        if not same_samples(original, path):
            found.append("after the undo, the audio changed")
    except Exception as err:  # noqa: BLE001
        found.append(f"after the undo, a check raised {type(err).__name__}: {err}")
    return found


def _undo(path: Path, context: dict) -> dict:
    """--phase undo, in the child: the undo log's one line on a file damaged since its write."""
    from spectrogenre.library.tagging import same_samples, stored_genres, undo_log

    original, log = Path(context["original"]), Path(context["log"])
    folder_before = _listing(path.parent, but=path)
    undone = [row.action for row in undo_log(log)]
    violations = []
    if _listing(path.parent, but=path) != folder_before:
        violations.append(f"the folder changed by the undo: {sorted(_listing(path.parent, but=path))}")
    if len(undone) != 1:
        violations.append(f"{len(undone)} rows for one log line: {undone}")
    elif undone[0] == "restored":
        try:
            if stored_genres(path) != tuple(context["old"]):
                violations.append(f"restored, but stores {stored_genres(path)}, not {context['old']}")
            if not same_samples(original, path):
                violations.append("restored, but the audio changed")
        except Exception as err:  # noqa: BLE001 - a check of a restored file that fails is the finding
            violations.append(f"after the undo, a check raised {type(err).__name__}: {err}")
    elif path.read_bytes() != original.read_bytes():
        violations.append(f"{undone[0]!r}, but the file changed")
    elif undone[0].startswith("error:") and not undone[0].removeprefix("error: ").strip():
        violations.append("an error that says nothing")
    return {"action": undone[0] if len(undone) == 1 else str(undone), "violations": violations}


def written_seeds(seeds: dict[str, Path], folder: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """--phase undo: each seed with GENRE written by tag_file (in this process: the seeds are undamaged), and the
    genre it had: {name: (written copy, old genre)}; a seed tag_file does not write is left out."""
    from spectrogenre.library.tagging import tag_file

    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, seed in seeds.items():
        path = folder / seed.name
        shutil.copyfile(seed, path)
        log = folder / f"{name}.jsonl"
        row = tag_file(path, _verdict, min_confidence=0.5, only_empty=False, mode="replace", log=log)
        if row.action == "written":
            written[name] = (path, tuple(json.loads(log.read_text(encoding="utf-8"))["old"]))
    return written


def classify(result: dict) -> str:
    """The case's outcome: written, error (a failed write, named, the file as it was), skip, violation, or
    fuzz_decode's unexpected, timeout, signal, memory."""
    if result["outcome"] != "ok":
        return result["outcome"]
    value = result["value"]
    if value["violations"]:
        return "violation"
    return value["action"].split(":")[0]  # written, error or skip; restored (--phase undo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("fuzz_tag.json"))
    parser.add_argument("--work", type=Path, default=None, help="where seeds and mutants go (default: a temp folder)")
    parser.add_argument("--timeout", type=float, default=fuzz_decode.WALL_TIMEOUT_S)
    parser.add_argument("--max-minutes", type=float, default=None, help="stop starting cases after this long")
    parser.add_argument("--keep", action="store_true", help="keep every mutant, not only those with findings")
    parser.add_argument("--seed-seconds", type=float, default=4.0, help="short: a write does not need predict's clip")
    parser.add_argument("--phase", choices=("write", "undo"), default="write",
                        help="damage before the write, or between the write and its undo")
    parser.add_argument("--formats", default=",".join(WRITABLE_FORMATS),
                        help="seed formats, comma-separated (their tagged variants come with them)")
    args = parser.parse_args(argv)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    work = args.work or Path(tempfile.mkdtemp(prefix="fuzz_tag-"))
    # imported before forking, so that each child starts with it
    from spectrogenre.library import tagging
    seeds = {name: path for name, path in make_seeds(work / "seeds", seconds=args.seed_seconds,
                                                     formats=args.formats.split(",")).items()
             if path.suffix.lower() in tagging.WRITABLE}
    fuzz_decode.ENTRIES.update(tag=_tag, undo=_undo)  # run_in_child runs an entry by its name
    olds = {}
    if args.phase == "undo":
        written = written_seeds(seeds, work / "written")
        seeds, olds = {name: path for name, (path, _) in written.items()}, {n: old for n, (_, old) in written.items()}
    started, rows = time.monotonic(), []
    for case in cases(seeds, args.cases, args.seed):
        if args.max_minutes is not None and time.monotonic() - started > 60 * args.max_minutes:
            break
        row = run_case(case, seeds, work, timeout_s=args.timeout, phase=args.phase, old=olds.get(case["seed_file"]))
        if row["outcome"] in ("written", "error", "skip", "restored") and not args.keep:
            shutil.rmtree(work / "cases" / f"case{case['case']:05d}")
        rows.append(row)
        print(f"case {case['case']} {case['seed_file']} {row['what']}: {row['outcome']} "
              f"{row['result'].get('value', {}).get('action') or row['result'].get('detail', '')}"[:300], flush=True)
    outcomes = {}
    for row in rows:
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    findings = [{k: row[k] for k in ("case", "seed_file", "what", "sha256", "outcome")}
                | {"detail": row["result"].get("detail") or row["result"].get("value", {}).get("violations")}
                for row in rows if row["outcome"] not in ("written", "error", "skip", "restored")]
    report = {"command": " ".join(sys.argv), "seed": args.seed, "phase": args.phase, "cases_planned": args.cases, "cases_run": len(rows),
              "seconds": round(time.monotonic() - started, 1), "work": str(work),
              "seed_files": {name: hashlib.sha256(path.read_bytes()).hexdigest()[:16] for name, path in seeds.items()},
              "outcomes": outcomes, "findings": findings, "cases": rows}
    args.out.write_text(json.dumps(report, indent=1, default=str))
    print(json.dumps({k: report[k] for k in ("cases_run", "outcomes", "findings")}, indent=1, default=str))
    return 0


def run_case(case: dict, seeds: dict[str, Path], work: Path, *, timeout_s: float, phase: str = "write",
             old: tuple[str, ...] | None = None) -> dict:
    """One case: the mutant alone in a folder of its own with a neighbour, its pristine bytes and undo log apart
    (--phase undo: the log's line, written beforehand, says GENRE replaced `old`)."""
    home = work / "cases" / f"case{case['case']:05d}"
    folder, apart = home / "music", home / "apart"
    folder.mkdir(parents=True)
    apart.mkdir()
    (folder / NEIGHBOUR).write_text("not music\n")
    path, what = mutate(case, seeds, folder)
    original = apart / path.name
    shutil.copyfile(path, original)
    context = {"original": str(original), "log": str(apart / "undo.jsonl"),
               "mode": "append" if case["case"] % 3 == 2 else "replace", "old": old}
    if phase == "undo":
        (apart / "undo.jsonl").write_text(json.dumps({"path": str(path), "old": list(old), "new": [GENRE]}) + "\n",
                                          encoding="utf-8")
    result = run_in_child("tag" if phase == "write" else "undo", path, context, timeout_s=timeout_s)
    result.pop("modified", None)  # a written file is meant to change; _tag checks what else must not
    if result["outcome"] == "error":  # tag_file answers in rows: an AudioError out of it is a bug too
        result = {**result, "outcome": "unexpected", "why": "an AudioError escaped tag_file"}
    return {**case, "what": what, "file": path.name, "bytes": original.stat().st_size,
            "sha256": hashlib.sha256(original.read_bytes()).hexdigest(), "mode": context["mode"],
            "outcome": classify(result), "result": result}


if __name__ == "__main__":
    sys.exit(main())
