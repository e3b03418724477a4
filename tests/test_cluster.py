"""The data stages on a Dask cluster (2 local worker processes, 1 GB each, loopback only): every output
byte-identical to the local run, a broken track reported exactly as locally."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GB",
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def run_data_stages(project, out, monkeypatch, address):
    from spectrogenre.concat import concat_library
    from spectrogenre.features import compute_features
    from spectrogenre.params import read_sections
    from spectrogenre.trim import trim_library

    if address:
        monkeypatch.setenv("SPECTROGENRE_SCHEDULER", address)
    else:
        monkeypatch.delenv("SPECTROGENRE_SCHEDULER", raising=False)
    params = read_sections(project / "params.yaml")
    concat_library(project / "library", out / "scan", out / "concat", sample_rate=params.frontend.sample_rate, jobs=2)
    trim_library(out / "concat", out / "trim", params.trim, jobs=2)
    compute_features(out / "concat", project / "data/clips", project / "data/split", out / "features",
                     frontend=params.frontend, chunk_mb=params.features.chunk_mb, jobs=2)


def files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_data_stages_on_a_cluster_write_the_same_bytes(tiny_project, tmp_path, monkeypatch, scheduler):
    local, remote = tmp_path / "local", tmp_path / "cluster"
    broken_path = tmp_path / "broken.wav"  # a track that cannot be decoded: reported, not a failed task
    broken_path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    for out in (local, remote):
        shutil.copytree(tiny_project / "data/scan", out / "scan")
        tracks = pd.read_csv(out / "scan/tracks.csv", keep_default_na=False, dtype=str)
        broken = tracks.iloc[[0]].assign(track=str(broken_path), genre="Noise")  # absolute: kept as it is
        pd.concat([tracks, broken]).to_csv(out / "scan/tracks.csv", index=False)
    run_data_stages(tiny_project, local, monkeypatch, None)
    run_data_stages(tiny_project, remote, monkeypatch, scheduler)
    local_files, cluster_files = files(local), files(remote)
    assert local_files.keys() == cluster_files.keys()
    assert [name for name in local_files if local_files[name] != cluster_files[name]] == []
    skipped = pd.read_csv(remote / "concat/skipped.csv")
    assert skipped["path"].tolist() == [str(broken_path)] and skipped["problem"][0].startswith("cannot be decoded")
    # and the same as the pipeline's own run of these stages (the broken track aside)
    assert (remote / "features/dataset.json").read_bytes() == (tiny_project / "data/features/dataset.json").read_bytes()
    for chunk in (tiny_project / "data/features/chunks").iterdir():
        assert (remote / "features/chunks" / chunk.name).read_bytes() == chunk.read_bytes()


def test_relative_paths_reach_workers_that_run_elsewhere(tiny_project, tmp_path, monkeypatch, scheduler):
    # the workers started in the folder pytest runs in; the stages now run in another with relative paths,
    # as dvc.yaml's commands give them
    shutil.copytree(tiny_project / "library", tmp_path / "library")
    for name in ("scan", "clips", "split"):
        shutil.copytree(tiny_project / "data" / name, tmp_path / "data" / name)
    shutil.copy(tiny_project / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    from pathlib import Path

    from spectrogenre.concat import concat_library
    from spectrogenre.features import compute_features
    from spectrogenre.params import read_sections
    from spectrogenre.trim import trim_library

    monkeypatch.setenv("SPECTROGENRE_SCHEDULER", scheduler)
    params = read_sections(Path("params.yaml"))
    concat_library(Path("library"), Path("data/scan"), Path("data/concat"), sample_rate=params.frontend.sample_rate)
    trim_library(Path("data/concat"), Path("data/trim"), params.trim)
    compute_features(Path("data/concat"), Path("data/clips"), Path("data/split"), Path("data/features"),
                     frontend=params.frontend, chunk_mb=params.features.chunk_mb)
    for chunk in (tiny_project / "data/features/chunks").iterdir():  # the pipeline's own chunks, byte for byte
        assert (tmp_path / "data/features/chunks" / chunk.name).read_bytes() == chunk.read_bytes()


def test_an_unreachable_scheduler_or_one_with_no_worker_is_a_clear_error(monkeypatch):
    import socket
    import time

    from spectrogenre import cluster
    from spectrogenre.errors import SpectrogenreError

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2)
    monkeypatch.setattr(cluster, "REFUSED_GRACE_S", 0.5)
    monkeypatch.setattr(cluster, "WORKER_WAIT_S", 2)
    with socket.socket() as unused:  # a loopback port nothing listens on
        unused.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{unused.getsockname()[1]}"
    monkeypatch.setenv("SPECTROGENRE_SCHEDULER", address)
    started = time.monotonic()
    refused = (rf"SPECTROGENRE_SCHEDULER={address}: nothing listens on port \d+ of 127\.0\.0\.1 \(connection "
               rf"refused\): start a Dask scheduler there, or unset SPECTROGENRE_SCHEDULER to run here$")
    with pytest.raises(SpectrogenreError, match=refused), cluster.executor(1):
        pass
    assert time.monotonic() - started < 1.5  # said after the grace, not after distributed's retries for 2 s

    def unresolved(address, timeout):  # what a name no resolver knows gives (no lookup leaves this machine)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    unknown = (r"SPECTROGENRE_SCHEDULER=tcp://locahost:8786: no host is named 'locahost' \(a typo, or a name this "
               r"machine cannot resolve\): check the name, or unset SPECTROGENRE_SCHEDULER to run here$")
    with monkeypatch.context() as offline:
        offline.setattr(cluster.socket, "create_connection", unresolved)
        offline.setenv("SPECTROGENRE_SCHEDULER", "tcp://locahost:8786")
        with pytest.raises(SpectrogenreError, match=unknown), cluster.executor(1):
            pass
    monkeypatch.setenv("SPECTROGENRE_SCHEDULER", "tls://127.0.0.1:8786")  # TLS needs Dask's security settings
    tls = r"SPECTROGENRE_SCHEDULER=tls://127.0.0.1:8786: cannot connect \("
    with pytest.raises(SpectrogenreError, match=tls), cluster.executor(1):
        pass
    with distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as empty:
        monkeypatch.setenv("SPECTROGENRE_SCHEDULER", empty.scheduler_address)
        no_worker = r"the scheduler has had no worker for 2 s; start workers \(spectrogenre worker tcp://"
        with pytest.raises(SpectrogenreError, match=no_worker), cluster.executor(1):
            pass


def test_a_cluster_that_loses_every_worker_mid_run_is_a_clear_error(monkeypatch):
    import threading
    import time

    from spectrogenre import cluster
    from spectrogenre.errors import SpectrogenreError

    monkeypatch.setattr(cluster, "WORKER_WAIT_S", 2)
    monkeypatch.setattr(cluster, "WORKER_CHECK_S", 0.5)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, memory_limit="1GB",
                                  host="127.0.0.1", dashboard_address=None) as one:
        monkeypatch.setenv("SPECTROGENRE_SCHEDULER", one.scheduler_address)
        with cluster.executor(1) as (pool, slots):
            assert slots == 1
            assert list(cluster.ordered_map(pool, pow, [(2, 3), (3, 2)], in_flight=1)) == [8, 9]
            # the one worker goes away while its task runs: the task waits for a worker that never comes
            threading.Timer(1.0, one.scale, args=(0,)).start()
            started = time.monotonic()
            with pytest.raises(SpectrogenreError, match="the cluster lost its workers and has had none for 2 s"):
                list(cluster.ordered_map(pool, time.sleep, [(30,)], in_flight=1))
            assert time.monotonic() - started < 20


def test_an_address_that_is_not_a_schedulers_is_a_clear_error_in_bounded_time(monkeypatch, scheduler):
    import socket
    import time

    from spectrogenre import cluster
    from spectrogenre.errors import SpectrogenreError

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 2)
    for malformed in ("tcp://127.0.0.1", "127.0.0.1", "http://127.0.0.1:8786"):  # no port; not Dask's scheme
        monkeypatch.setenv("SPECTROGENRE_SCHEDULER", malformed)
        match = rf"SPECTROGENRE_SCHEDULER='{malformed}' is not a Dask scheduler's address"
        with pytest.raises(SpectrogenreError, match=match), cluster.executor(1):
            pass
    with distributed.Client(scheduler) as client:  # a worker's address, not the scheduler's
        worker = next(iter(client.nthreads()))
    monkeypatch.setenv("SPECTROGENRE_SCHEDULER", worker)
    match = "what answers there is a Dask Worker, not a scheduler"
    with pytest.raises(SpectrogenreError, match=match), cluster.executor(1):
        pass
    with socket.socket() as silent:  # takes connections (the kernel's backlog) and never answers, like an HTTP port
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setenv("SPECTROGENRE_SCHEDULER", address)
        started = time.monotonic()
        match = rf"SPECTROGENRE_SCHEDULER={address}: no Dask scheduler answered within 2 s \(it took the connection"
        with pytest.raises(SpectrogenreError, match=match), cluster.executor(1):
            pass
        assert time.monotonic() - started < 10
    monkeypatch.setenv("SPECTROGENRE_SCHEDULER", f"  {scheduler}  ")  # spaces around it, as a shell line may leave
    with cluster.executor(1) as (pool, slots):
        assert slots == 2 and list(cluster.ordered_map(pool, pow, [(2, 3)], in_flight=1)) == [8]


def test_a_scheduler_that_goes_away_mid_run_is_a_clear_error(monkeypatch, caplog):
    import socket
    import subprocess
    import sys
    import threading
    import time

    from spectrogenre import cluster
    from spectrogenre.errors import SpectrogenreError

    with socket.socket() as free:  # a free loopback port for the scheduler
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "dask"]
    scheduler = subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([*dask, "worker", address, "--nthreads", "1", "--memory-limit", "1GB", "--no-dashboard",
                               "--no-nanny"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        monkeypatch.setenv("SPECTROGENRE_SCHEDULER", address)
        match = rf"SPECTROGENRE_SCHEDULER={address}: the scheduler went away mid-run"
        # raised out of the executor, as out of a stage; it waits for the scheduler and the worker to start
        with pytest.raises(SpectrogenreError, match=match), cluster.executor(1) as (pool, _):
            assert list(cluster.ordered_map(pool, pow, [(2, 3)], in_flight=1)) == [8]
            threading.Timer(1.0, scheduler.kill).start()  # while the next task runs
            started = time.monotonic()
            list(cluster.ordered_map(pool, time.sleep, [(30,)], in_flight=1))
        assert time.monotonic() - started < 20
    finally:
        for process in (worker, scheduler):
            process.kill()
            process.wait(timeout=30)
    # the client's own traceback, as it closes, would bury the error
    assert [r for r in caplog.records if r.name == "distributed.client" and r.levelno >= 40] == []


def name_or_exit(path, code):
    """A task whose work on b.mp3 ends its process (a decoder's crash, a memory limit's kill), as os._exit does."""
    import os

    return os._exit(code) if path.name == "b.mp3" else path.name


TRACKS = [("/music/a.mp3", 1), ("/music/b.mp3", 1), ("/music/c.mp3", 1), ("/music/d.mp3", 1)]


def killed_or_named(monkeypatch, address: str | None, *, in_flight: int):
    """ordered_map over TRACKS, a track whose process died reported as such; then without if_killed."""
    from pathlib import Path

    from spectrogenre import cluster
    from spectrogenre.errors import SpectrogenreError

    if address:
        monkeypatch.setenv("SPECTROGENRE_SCHEDULER", address)
    else:
        monkeypatch.delenv("SPECTROGENRE_SCHEDULER", raising=False)
    items = [(Path(path), code) for path, code in TRACKS]
    with cluster.executor(2) as (pool, _):
        results = list(cluster.ordered_map(pool, name_or_exit, items, in_flight=in_flight,
                                           if_killed=lambda item: f"killed: {item[0].name}"))
        with pytest.raises(SpectrogenreError, match=r"the task on /music/b\.mp3 died while it ran") as stopped:
            list(cluster.ordered_map(pool, name_or_exit, items, in_flight=in_flight))
    return results, str(stopped.value)


def test_a_local_task_whose_process_dies_is_found_and_the_tasks_lost_beside_it_run_again(monkeypatch):
    # 2 processes and 4 tasks in flight: b's death breaks the pool and loses a, c and d with it
    results, error = killed_or_named(monkeypatch, None, in_flight=4)
    assert results == ["a.mp3", "killed: b.mp3", "c.mp3", "d.mp3"]
    assert "a crash in a decoder, or the system's memory limit" in error


def test_a_task_that_kills_every_worker_it_runs_on_is_found_and_its_neighbours_kept(monkeypatch):
    # the nanny restarts the worker, and distributed gives up on the task after its allowed failures (none
    # here, to keep the deaths few); a task queued beside it on the one worker dies with it, and is then run
    # again alone
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, memory_limit="1GB", host="127.0.0.1",
            dashboard_address=None) as own:
        results, error = killed_or_named(monkeypatch, own.scheduler_address, in_flight=2)
    assert results == ["a.mp3", "killed: b.mp3", "c.mp3", "d.mp3"]
    assert error.startswith(f"SPECTROGENRE_SCHEDULER={own.scheduler_address}: every worker that held")


def test_spectrogenre_worker_joins_the_scheduler_with_the_kernels_every_stage_pins():
    import os
    import subprocess
    import sys

    from spectrogenre.portable import avx512_features, x86_flags

    pinned = ("TF_ENABLE_ONEDNN_OPTS", "OPENBLAS_CORETYPE")
    env = {name: value for name, value in os.environ.items()
           if name not in (*pinned, "NPY_DISABLE_CPU_FEATURES", "SPECTROGENRE_PORTABLE_NUMPY")}
    with (distributed.LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=":0") as cluster,
          distributed.Client(cluster) as client):
        worker = subprocess.Popen([sys.executable, "-c", "from spectrogenre.cli import app; app()", "worker",
                                   cluster.scheduler_address, "--nthreads", "1", "--memory-limit", "1GB",
                                   "--no-dashboard", "--death-timeout", "30"],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            client.wait_for_workers(1, timeout=60)
            seen = client.run(lambda: ({name: os.environ.get(name) for name in pinned}, avx512_features()))
        finally:
            worker.terminate()
            out, _ = worker.communicate(timeout=30)
    [(environ, features)] = seen.values()
    haswell = {"avx2", "fma"} <= x86_flags()  # x86-64 of the last ten years, this machine's too
    assert environ == {"TF_ENABLE_ONEDNN_OPTS": "0", "OPENBLAS_CORETYPE": "Haswell" if haswell else None}
    assert features == []  # numpy's AVX-512 kernels off (none on a CPU without them)
    assert f"a Dask worker for {cluster.scheduler_address}" in out


def test_spectrogenre_worker_refuses_an_address_that_is_no_schedulers_in_one_line():
    from typer.testing import CliRunner

    from spectrogenre.cli import app

    result = CliRunner().invoke(app, ["worker", "scheduler-host"])
    assert result.exit_code == 1
    assert result.output.startswith("error: the scheduler's address 'scheduler-host' is not a Dask scheduler's "
                                    "address (missing port number")
    assert "Traceback" not in result.output


def test_spectrogenre_worker_given_options_before_the_address_says_the_order():
    from typer.testing import CliRunner

    from spectrogenre.cli import app

    result = CliRunner().invoke(app, ["worker", "--nthreads", "1", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 1
    assert result.output == ("error: the scheduler's address comes first, then dask worker's options: spectrogenre "
                             "worker tcp://127.0.0.1:8786 --nthreads 1\n")


@pytest.mark.parametrize(("options", "said"), [
    (["--memory-limit", "2XB"], ("error: --memory-limit 2XB: Could not interpret 'XB' as a byte unit (give bytes "
                                 "as 4GB or 4GiB, a fraction of the machine's memory as 0.5, or auto)\n")),
    (["--nthreads", "1", "--memory-limit=4 gigs"], ("error: --memory-limit 4 gigs: Could not interpret 'gigs' as a "
                                                    "byte unit (give bytes as 4GB or 4GiB, a fraction of the "
                                                    "machine's memory as 0.5, or auto)\n")),
    (["--memory-limit"], ("error: --memory-limit needs a value: bytes (4GB), a fraction of the machine's memory "
                          "(0.5) or auto\n")),
])
def test_spectrogenre_worker_says_what_is_wrong_with_a_memory_limit_before_starting_dask(options, said):
    from typer.testing import CliRunner

    from spectrogenre.cli import app

    # nothing listens on the address: a limit that passed would be told so instead, and no worker would start
    result = CliRunner().invoke(app, ["worker", "tcp://127.0.0.1:9", *options])
    assert result.exit_code == 1
    assert result.output == said


@pytest.mark.parametrize("limit", ["4GB", "4GiB", "0.5", "auto", "4000000000"])
def test_spectrogenre_worker_takes_a_memory_limit_dask_takes(limit):
    from typer.testing import CliRunner

    from spectrogenre.cli import app

    result = CliRunner().invoke(app, ["worker", "tcp://127.0.0.1:9", "--memory-limit", limit])
    assert result.exit_code == 1
    assert result.output.startswith("error: the scheduler's address tcp://127.0.0.1:9: nothing listens on port 9")
