"""Every file under a music folder, as people keep one: links to folders followed, system entries passed over.

A leading dot hides a name on Unix, but album titles start with one too ("...And Justice for All",
".5: The Gray Chapter"). So only a dot followed by a letter, `_` or `@` marks a system entry (.git,
.DS_Store, Syncthing's .stversions, macOS's ._ copies, QNAP's .@__thumb, this tool's own temporary
copies), as do the folders that NAS boxes and Windows keep beside music (@eaDir, #recycle,
$RECYCLE.BIN, System Volume Information, lost+found). They hold thumbnails, old versions and deleted
files, never the library, and are passed over and said. A folder reached twice (a link to a folder
already walked, a link loop) is walked once; a file reached twice through links is listed once. Files DVC
cannot hash are listed and named (`unhashable`), so the library check can say what to mend first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SYSTEM_FOLDERS = frozenset({"@eadir", "#recycle", "$recycle.bin", "system volume information", "lost+found"})


def is_system_entry(name: str) -> bool:
    """Whether a file or folder name is the system's or a tool's, not music (see the module doc)."""
    hidden = len(name) > 1 and name[0] == "." and (name[1].isalpha() or name[1] in "_@")
    return hidden or name.lower() in SYSTEM_FOLDERS


@dataclass
class Walk:
    """files: every file under the folder (links, pipes and dangling links too: the caller says what they are),
    sorted. folders: every folder walked. passed_over: (folder or file, why) for what was not listed, a folder
    it may not read included."""

    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    passed_over: list[tuple[Path, str]] = field(default_factory=list)
    unhashable: list[tuple[Path, str]] = field(default_factory=list)  # listed files DVC cannot hash: see oddity


def walk(folder: Path) -> Walk:
    """Everything under `folder` (see the module doc), in a stable order."""
    found = Walk()
    walked: dict[str, Path] = {}
    listed: dict[str, Path] = {}

    def unreadable(err: OSError) -> None:
        found.passed_over.append((Path(err.filename), f"cannot be read: {err.strerror or err}"))

    for root, dirs, names in os.walk(folder, onerror=unreadable, followlinks=True):
        here = Path(root)
        real = os.path.realpath(root)
        if real in walked:
            found.passed_over.append((here, f"the same folder as {walked[real]} (through a link): walked once"))
            dirs[:] = []
            continue
        walked[real] = here
        found.folders.append(here)
        for name in [d for d in dirs if is_system_entry(d)]:
            found.passed_over.append((here / name, "a system folder (thumbnails, old versions, deleted files)"))
        dirs[:] = sorted(d for d in dirs if not is_system_entry(d))
        for name in sorted(n for n in names if not is_system_entry(n)):
            path = here / name
            target = os.path.realpath(path)
            if target in listed and os.path.exists(target):
                found.passed_over.append((path, f"the same file as {listed[target]} (through a link): listed once"))
                continue
            listed[target] = path
            found.files.append(path)
            if (odd := oddity(path)) is not None:
                found.unhashable.append((path, odd))
    found.files.sort()
    found.unhashable.sort()
    return found


def oddity(path: Path) -> str | None:
    """What makes a file one that `dvc repro` cannot hash when its library is a stage's dependency (it reads
    every file to know whether the library changed), or None: a broken link, a pipe, socket or device (a
    read would block), a name that is not UTF-8 (an old archive's Latin-1 names)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return "its name is not UTF-8 text"
    if not os.path.exists(path):
        return "a broken link"
    if not os.path.isfile(path):
        return "a pipe, socket or device, not a file"
    return None
