"""Every file under a music folder, as people keep one: links to folders followed, system entries passed over.

A leading dot hides a name on Unix, but album titles start with one too ("...And Justice for All",
".5: The Gray Chapter"). So only a dot followed by a letter, `_` or `@` marks a system entry (.git,
.DS_Store, Syncthing's .stversions, macOS's ._ copies, QNAP's .@__thumb, this tool's own temporary
copies), as do the folders that NAS boxes and Windows keep beside music (@eaDir, #recycle,
$RECYCLE.BIN, System Volume Information, lost+found). They hold thumbnails, old versions and deleted
files, never the library, and are passed over and said. A folder reached twice (a link to a folder
already walked, a link loop) is walked once; a file reached twice through links is listed once, and said.
A link to a folder or file inside the walked folder itself is passed over, and said: what it points to is
listed where it is, so a link never decides where a track belongs (a genre folder `Metal` linking to
`Rock` would otherwise take Rock's tracks, whichever name sorts first).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

CANNOT_BE_READ = "cannot be read"  # how a folder the walk could not list is said, and known
SYSTEM_FOLDERS = frozenset({"@eadir", "#recycle", "$recycle.bin", "system volume information", "lost+found"})


def is_system_entry(name: str) -> bool:
    """Whether a file or folder name is the system's or a tool's, not music (see the module doc)."""
    hidden = len(name) > 1 and name[0] == "." and (name[1].isalpha() or name[1] in "_@")
    return hidden or name.lower() in SYSTEM_FOLDERS


@dataclass
class Walk:
    """files: every file under the folder (links, pipes and dangling links too: the caller says what they are),
    sorted. folders: every folder walked. passed_over: (folder, why) for each folder not walked, one it may not
    read included. repeated: (file, why) for each file not listed because it was listed through another path.
    system_files: each file passed over as a system entry (.DS_Store, a ._ copy), for a caller that lists them."""

    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    passed_over: list[tuple[Path, str]] = field(default_factory=list)
    repeated: list[tuple[Path, str]] = field(default_factory=list)
    system_files: list[Path] = field(default_factory=list)


def walk(folder: Path) -> Walk:
    """Everything under `folder` (see the module doc), in a stable order."""
    found = Walk()
    walked: dict[str, Path] = {}
    listed: dict[str, Path] = {}
    top = os.path.realpath(folder)

    def inside(path: Path) -> str | None:
        """Where a link at `path` points, relative to the walked folder, if it points inside it."""
        if not os.path.islink(path):
            return None
        target = os.path.realpath(path)
        return os.path.relpath(target, top) if os.path.commonpath([target, top]) == top else None

    def unreadable(err: OSError) -> None:
        found.passed_over.append((Path(err.filename), f"{CANNOT_BE_READ}: {err.strerror or err}"))

    for root, dirs, names in os.walk(folder, onerror=unreadable, followlinks=True):
        here = Path(root)
        real = os.path.realpath(root)
        if real in walked:
            found.passed_over.append((here, f"the same folder as {walked[real]} (through a link): walked once"))
            dirs[:] = []
            continue
        walked[real] = here
        found.folders.append(here)
        for name in sorted(d for d in dirs if is_system_entry(d)):
            found.passed_over.append((here / name, "a system folder (thumbnails, old versions, deleted files)"
                                      if name.lower() in SYSTEM_FOLDERS else "a hidden folder (its name starts with "
                                      "a dot: a tool's, as .git, .stversions or .Trash, or one you hid): rename it "
                                      "to include it"))
        dirs[:] = sorted(d for d in dirs if not is_system_entry(d))
        for name in list(dirs):
            if (target := inside(here / name)) is not None:
                found.passed_over.append((here / name, f"a link to {target} in this folder: walked there"))
                dirs.remove(name)
        found.system_files += [here / name for name in sorted(names) if is_system_entry(name)]
        for name in sorted(n for n in names if not is_system_entry(n)):
            path = here / name
            if (inner := inside(path)) is not None and os.path.isfile(path):
                found.repeated.append((path, f"a link to {inner} in this folder: listed there"))
                continue
            target = os.path.realpath(path)
            if target in listed and os.path.exists(target):
                found.repeated.append((path, f"the same file as {listed[target]} (through a link): listed once"))
                continue
            listed[target] = path
            found.files.append(path)
    found.files.sort()
    return found

