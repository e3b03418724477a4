"""Where the data stages' tasks run: local processes, or an existing Dask cluster.

Set SPECTROGENRE_SCHEDULER to a Dask scheduler's address (tcp://host:8786) and concat, trim and
features submit their tasks there; unset, they use a process per core here, as before. Which
way they ran never changes an output: tasks return their results to the stage, which writes
every file itself in a fixed order. Tasks are small (one track, one stretch of a genre file, one
chunk) and at most `in_flight` run or wait at a time, so a worker's and the stage's memory stay
bounded whatever the library's size. A task whose worker dies is retried (TASK_RETRIES), and one
that kills its process (here or on every worker it lands on) is found by running the tasks lost with
it again one at a time (ordered_map); a track that cannot be decoded is not a failure of its task but
its result (AudioError's message), so it is reported in skipped.csv exactly as a local run reports it.
The workers must see the library and data/ at the same paths (a shared file system) and run the same
environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import (
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool

from spectrogenre.errors import SpectrogenreError

SCHEDULER_ENV = "SPECTROGENRE_SCHEDULER"
TASK_RETRIES = 2
CONNECT_TIMEOUT_S = 30
REFUSED_GRACE_S = 5  # a scheduler started a moment before the stage listens within it
WORKER_WAIT_S = 60
WORKER_CHECK_S = 5  # how often a stage waiting on a task asks the scheduler whether any worker is left


class TaskKilled(Exception):
    """The process that ran a task died while it ran: a crash in native code (a decoder), or the kernel's or
    a Dask nanny's memory limit. The message says where it ran."""


def scheduler_address() -> str | None:
    return os.environ.get(SCHEDULER_ENV, "").strip() or None


async def _identity(address: str) -> dict:
    """What answers at `address`: the server's identity (its "type": Scheduler, Worker, ...). Bounded as a whole:
    distributed's own connect waits for ever for the handshake of a server that accepts and never answers (an HTTP
    port, the dashboard's)."""
    from distributed.comm import connect

    async def ask():
        comm = await connect(address, timeout=CONNECT_TIMEOUT_S)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            await comm.close()

    return await asyncio.wait_for(ask(), CONNECT_TIMEOUT_S)


def _nothing_there(address: str) -> str | None:
    """Why no server can be at a tcp:// `address` at all (its host unknown; the connection refused for
    REFUSED_GRACE_S, in which a scheduler just started begins to listen), said then; None where something may
    answer, or the address is not tcp's. distributed's own connect retries such an address until its timeout, and
    then says only that it timed out."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location)
    except ValueError:
        return None  # the connect's own parser says what is wrong with it
    if scheme != "tcp":
        return None
    deadline = time.monotonic() + REFUSED_GRACE_S
    while True:
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
            return None
        except socket.gaierror:
            return f"no host is named {host!r} (a typo, or a name this machine cannot resolve): check the name"
        except ConnectionRefusedError:
            if time.monotonic() >= deadline:
                return f"nothing listens on port {port} of {host} (connection refused): start a Dask scheduler there"
            time.sleep(0.25)
        except OSError:
            return None  # unreachable, timed out: the connect says so


def check_scheduler(address: str, *, given_as: str | None = None) -> None:
    """Raise SpectrogenreError unless a Dask scheduler answers at `address` within CONNECT_TIMEOUT_S. The message
    names SCHEDULER_ENV, or `given_as` (what the address is to a command that took it as an argument)."""
    label, otherwise = (f"{SCHEDULER_ENV}=", f", or unset {SCHEDULER_ENV} to run here") if given_as is None \
        else (f"{given_as} ", "")
    if (nothing := _nothing_there(address)) is not None:
        raise SpectrogenreError(f"{label}{address}: {nothing}{otherwise}")
    try:
        reply = asyncio.run(_identity(address))
    except ValueError as err:  # distributed's address parser: no port, an unknown scheme
        raise SpectrogenreError(f"{label}{address!r} is not a Dask scheduler's address ({err}); give one as "
                                f"tcp://host:port{otherwise}") from None
    except OSError as err:  # refused, timed out (TimeoutError is an OSError), closed mid-handshake
        raise SpectrogenreError(f"{label}{address}: no Dask scheduler answered within {CONNECT_TIMEOUT_S} s "
                                f"({str(err) or 'it took the connection and said nothing'}); start one there"
                                f"{otherwise}") from None
    except TypeError as err:  # tls:// without Dask's security settings, which the stages do not take
        raise SpectrogenreError(f"{label}{address}: cannot connect ({err}); give a tcp://host:port scheduler"
                                f"{otherwise}") from None
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        raise SpectrogenreError(f"{label}{address}: what answers there is a Dask {kind or 'server'}, not a scheduler; "
                                f"give the scheduler's address (dask scheduler prints it)")


@contextlib.contextmanager
def executor(jobs: int) -> Iterator[tuple[Executor, int]]:
    """(an executor, how many tasks it runs at once): the Dask cluster named by SPECTROGENRE_SCHEDULER, else
    `jobs` local processes."""
    address = scheduler_address()
    if address is None:
        with LocalExecutor(max(1, jobs)) as pool:
            yield pool, max(1, jobs)
        return
    from distributed import Client

    check_scheduler(address)
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
    except OSError as err:  # distributed's connection timeout is an OSError too
        raise SpectrogenreError(f"{SCHEDULER_ENV}={address}: no Dask scheduler answered within {CONNECT_TIMEOUT_S} s "
                                f"({err}); start one there, or unset {SCHEDULER_ENV} to run here") from None
    client_log = logging.getLogger("distributed.client")
    level = client_log.level
    try:
        with client:
            try:  # a cluster with no worker would hold every task for ever
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except TimeoutError:
                raise SpectrogenreError(f"{SCHEDULER_ENV}={address}: the scheduler has had no worker for "
                                        f"{WORKER_WAIT_S} s; start workers (spectrogenre worker {address}), or unset "
                                        f"{SCHEDULER_ENV}") from None
            slots = max(1, sum(client.nthreads().values()))
            try:
                yield ClusterExecutor(client, address), slots
            except SpectrogenreError:
                # closing, the client logs its cancelled reconnection to a scheduler that went away as a
                # traceback, which would bury the error that says what happened
                client_log.setLevel(logging.CRITICAL)
                raise
    finally:
        client_log.setLevel(level)


class LocalExecutor(Executor):
    """`jobs` processes here. One that dies mid-task breaks the whole pool and loses every task in it, so
    `restart` makes a fresh pool for the tasks to be run again (ordered_map)."""

    def __init__(self, jobs: int):
        self._jobs = jobs
        self._pool = ProcessPoolExecutor(max_workers=jobs)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        try:
            return self._pool.submit(fn, *args, **kwargs)
        except BrokenProcessPool as err:  # broken by a task submitted before: this one is lost with the others
            lost = Future()
            lost.set_exception(err)
            return lost

    def result(self, future: Future, what: str = "a task"):
        try:
            return future.result()
        except BrokenProcessPool:
            raise TaskKilled(f"the process that ran {what} died while it ran (a crash in a decoder, or the "
                             f"system's memory limit)") from None

    def restart(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = ProcessPoolExecutor(max_workers=self._jobs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class ClusterExecutor(Executor):
    """The Dask client's executor, whose results stop being waited for once the cluster has had no worker
    for WORKER_WAIT_S: the scheduler keeps the tasks of workers that all died for whichever comes next, and
    without this the stage would wait for ever."""

    def __init__(self, client, address: str):
        self._client, self._address = client, address
        self._pool = client.get_executor(retries=TASK_RETRIES, pure=False)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait)

    def restart(self) -> None:
        """Nothing to do: the nannies restart dead workers, and the cluster's other tasks go on."""

    def result(self, future: Future, what: str = "a task"):
        """`future`'s result; `what` (the task's file) names the task in the error if its workers all died."""
        from distributed.scheduler import KilledWorker

        alone_since = None
        while not wait([future], timeout=WORKER_CHECK_S).done:
            try:
                workers = len(self._client.nthreads())
            except OSError as err:
                raise SpectrogenreError(f"{SCHEDULER_ENV}={self._address}: the scheduler stopped answering ({err}); "
                                        f"restart it and its workers, then rerun") from None
            alone_since = None if workers else alone_since or time.monotonic()
            if alone_since is not None and time.monotonic() - alone_since >= WORKER_WAIT_S:
                raise SpectrogenreError(f"{SCHEDULER_ENV}={self._address}: the cluster lost its workers and has had "
                                        f"none for {WORKER_WAIT_S} s with tasks left; start workers (spectrogenre worker "
                                        f"{self._address}) and rerun, or unset {SCHEDULER_ENV}")
        try:
            return future.result()
        except CancelledError:  # the client cancels every task when it loses the scheduler; the stage cancels none
            raise SpectrogenreError(f"{SCHEDULER_ENV}={self._address}: the scheduler went away mid-run and its tasks "
                                    f"were lost; restart it and its workers, then rerun") from None
        except KilledWorker:  # the workers it was on died (distributed's allowed-failures + 1 times)
            raise TaskKilled(f"{SCHEDULER_ENV}={self._address}: every worker that held {what} died while it ran "
                             f"(a crash in a decoder, or the workers' --memory-limit; the workers' logs say "
                             f"which)") from None


def _what(item: tuple) -> str:
    """The task's file (concat's track, trim's genre file), for an error message."""
    return f"the task on {item[0]}" if item and isinstance(item[0], os.PathLike) else "a task"


def ordered_map(pool: LocalExecutor | ClusterExecutor, function: Callable, items: Iterable, *, in_flight: int,
                if_killed: Callable[[tuple], object] | None = None) -> Iterator:
    """function(*item) for each item, run on `pool`, yielded in the items' order, with at most `in_flight`
    submitted and not yet yielded (the bound on memory held by results).

    A task whose process dies takes the tasks beside it down with it (a local pool is lost whole; on a Dask
    worker the others count the death too), so when one dies every task still pending is run again, one at
    a time: one that dies alone is the cause. Its result is if_killed(item), or, without if_killed,
    the stage stops with a SpectrogenreError that names its file.
    """
    pending, items = [], iter(items)
    for item in items:
        pending.append((pool.submit(function, *item), item))
        if len(pending) >= in_flight:
            yield _first_result(pool, function, pending, if_killed)
    while pending:
        yield _first_result(pool, function, pending, if_killed)


def _first_result(pool, function: Callable, pending: list, if_killed) -> object:
    """The result of the first of `pending`'s (future, item) pairs, which it removes."""
    future, item = pending[0]
    try:
        result = pool.result(future, _what(item))
    except TaskKilled:
        _run_again_alone(pool, function, pending, if_killed)
        result = pending[0][0].result()
    pending.pop(0)
    return result


def _run_again_alone(pool, function: Callable, pending: list, if_killed) -> None:
    """Settle every one of `pending`'s futures, running each task whose process died again on its own."""
    outcomes = [_outcome(pool, future, item) for future, item in pending]  # the tasks beside it end first
    pool.restart()
    for number, ((_, item), (died, result)) in enumerate(zip(pending, outcomes, strict=True)):
        if died:
            died, result = _outcome(pool, pool.submit(function, *item), item)
        if died:
            pool.restart()
            if if_killed is None:
                raise SpectrogenreError(result)
            result = if_killed(item)
        settled = Future()
        settled.set_result(result)
        pending[number] = (settled, item)


def _outcome(pool, future: Future, item: tuple) -> tuple[bool, object]:
    """(False, the task's result), or (True, why) where its process died."""
    try:
        return False, pool.result(future, _what(item))
    except TaskKilled as err:
        return True, str(err)
