"""The CPU cores this process may use: the default for parallel stages and the LiteRT interpreter."""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may use (respects taskset/cgroup affinity), not the machine's total."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
