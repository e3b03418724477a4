"""What a terminal table shows: a file's name with bytes that are not UTF-8 and control characters escaped, and
a probability as a percentage.

A name may hold an escape sequence (which would recolour or clear the terminal), a newline or tab (which
would break the table's rows) or Latin-1 bytes from an old archive (which a UTF-8 terminal cannot print).
"""

from __future__ import annotations

import math
import os

from rich.cells import cell_len

# A table's column of names is as wide as its longest name, up to this many columns on screen; a longer name only
# pushes its own line (a path of a thousand characters would otherwise widen every line to it)
NAME_COLUMNS = 60


def text_path(path) -> str:
    """`path` as valid text, for JSON and CSV: bytes of its name that are not UTF-8 as \\xNN."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def shown_path(path) -> str:
    """`path` with non-UTF-8 bytes as \\xNN and control characters as Python writes them (\\n, \\x1b)."""
    return shown_text(str(path))


def shown_text(text: str) -> str:
    """`text` that may quote a name (an error naming where a link points, a playlist's line) with its control
    characters as Python writes them, as shown_path shows a name."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text_path(text))


def names_width(paths) -> int:
    """The columns on screen a table's names take: its longest shown name's, up to NAME_COLUMNS."""
    return min(NAME_COLUMNS, max((cell_len(shown_path(path)) for path in paths), default=0))


def padded(text: str, columns: int) -> str:
    """`text` filled with spaces to `columns` columns on screen: a CJK character takes two."""
    return text + " " * max(0, columns - cell_len(text))


def percent(probability: float) -> str:
    """A probability as a whole percentage, rounded down: 0.49996 is "49%", so a verdict under an unsure threshold of
    0.5 is never shown at it, nor one short of certain as "100%". (1e-6 of allowance keeps float32's 0.9,
    0.89999998, at "90%".) The phone app's percent() rounds the same way."""
    return f"{math.floor(probability * 100 + 1e-4)}%"
