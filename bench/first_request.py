"""The server's first requests, with and without the interpreters' warm-up at start-up.

    python -m bench.first_request EXPORT_DIR RECORDING [--rounds 3] [--workers 2]

Each round starts the app twice in this process (FastAPI's TestClient, no network), once warmed up as it
serves and once with the warm-up skipped, in turn, and times its first `workers` requests one after another
(each lands on an interpreter not yet used) and one more. Medians over the rounds; the load average is printed
beside, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient

from bench.measure import load_average
from spectrogenre.litert import ModelPool
from spectrogenre.server.app import create_app
from spectrogenre.server.settings import ServerSettings


def first_requests(export: Path, recording: Path, *, workers: int, warm: bool) -> list[float]:
    """Seconds of each of the first workers + 1 requests, one at a time."""
    settings = ServerSettings(export_dir=export, workers=workers)
    upload = recording.read_bytes()
    with mock.patch.object(ModelPool, "warm_up", ModelPool.warm_up if warm else lambda self: None), \
            TestClient(create_app(settings)) as client:
        seconds = []
        for _ in range(workers + 1):
            start = time.perf_counter()
            response = client.post("/api/classify", files={"file": (recording.name, upload)})
            seconds.append(time.perf_counter() - start)
            response.raise_for_status()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("recording", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    runs: dict[str, list[list[float]]] = {"warmed up": [], "cold": []}
    load = load_average()
    for _ in range(args.rounds):
        for name, rounds in runs.items():
            rounds.append(first_requests(args.export, args.recording, workers=args.workers, warm=name == "warmed up"))
    print(json.dumps({"load_at_start": load, "rounds": args.rounds, "workers": args.workers,
                      "median_seconds_by_request": {name: [round(statistics.median(r[i] for r in rounds), 3)
                                                           for i in range(args.workers + 1)]
                                                    for name, rounds in runs.items()}}, indent=1))


if __name__ == "__main__":
    main()
