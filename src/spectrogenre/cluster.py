"""Where the data stages' tasks run: local processes, or an existing Dask cluster.

Set SPECTROGENRE_SCHEDULER to a Dask scheduler's address (tcp://host:8786) and concat, trim and
features submit their tasks there; unset, they use a process per core here, as before. Which
way they ran never changes an output: tasks return their results to the stage, which writes
every file itself in a fixed order. Tasks are small (one track, one stretch of a genre file, one
chunk) and at most `in_flight` run or wait at a time, so a worker's and the stage's memory stay
bounded whatever the library's size. A task whose worker dies is retried (TASK_RETRIES); a track
that cannot be decoded is not a failure of its task but its result (AudioError's message), so it
is reported in skipped.csv exactly as a local run reports it. The workers must see the library and
data/ at the same paths (a shared file system) and run the same environment.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

from spectrogenre.errors import SpectrogenreError

SCHEDULER_ENV = "SPECTROGENRE_SCHEDULER"
TASK_RETRIES = 2
CONNECT_TIMEOUT_S = 30
WORKER_WAIT_S = 60


def scheduler_address() -> str | None:
    return os.environ.get(SCHEDULER_ENV) or None


@contextlib.contextmanager
def executor(jobs: int) -> Iterator[tuple[Executor, int]]:
    """(an executor, how many tasks it runs at once): the Dask cluster named by SPECTROGENRE_SCHEDULER, else
    `jobs` local processes."""
    address = scheduler_address()
    if address is None:
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            yield pool, max(1, jobs)
        return
    from distributed import Client

    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except OSError as err:  # distributed's connection timeout is an OSError too
        raise SpectrogenreError(f"{SCHEDULER_ENV}={address}: no Dask scheduler answered within {CONNECT_TIMEOUT_S} s "
                                f"({err}); start one there, or unset {SCHEDULER_ENV} to run here") from None
    with client:
        try:  # a cluster with no worker would hold every task for ever
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except TimeoutError:
            raise SpectrogenreError(f"{SCHEDULER_ENV}={address}: the scheduler has had no worker for {WORKER_WAIT_S} s; "
                                    f"start workers (dask worker {address}), or unset {SCHEDULER_ENV}") from None
        slots = max(1, sum(client.nthreads().values()))
        yield client.get_executor(retries=TASK_RETRIES, pure=False), slots


def ordered_map(pool: Executor, function: Callable, items: Iterable, *, in_flight: int) -> Iterator:
    """function(*item) for each item, run on `pool`, yielded in the items' order, with at most `in_flight`
    submitted and not yet yielded (the bound on memory held by results)."""
    pending, items = [], iter(items)
    for item in items:
        pending.append(pool.submit(function, *item))
        if len(pending) >= in_flight:
            yield pending.pop(0).result()
    for future in pending:
        yield future.result()
