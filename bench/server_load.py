"""`serve` and `predict` under load and hostile input, at full size, on loopback only.

    python -m bench.server_load [--export data/export]   # about 10 minutes on 2 cores

Runs a `spectrogenre serve` process (default limits, memory capped at 6 GB by this script) and
measures, one after the other:
- 20 concurrent uploads of a 3-minute MP3: every status, latency p50 and p95, server peak RSS;
- hostile uploads, each alone: a 12-hour silent FLAC, a WAV whose header claims 1 GHz, a 15-minute
  silent Opus past --max-duration, a 3-hour MP3: status, seconds to the answer, server peak RSS;
- a 1 GB chunked body: seconds from passing the 20 MB limit to the 413, and the most the server's
  temp files held;
- `predict` on a 3-minute and on a 3-hour MP3: peak RSS of each (bench.measure.run_measured).
Writes bench/server_load.json and prints a Markdown table for bench/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import soundfile as sf

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import ROOT, bench_env, load_average, run_measured

MEMORY_CAP = 6 << 30
CONCURRENT = 20


def synth_song(seconds: float, sr: int = 44100, seed: int = 0) -> np.ndarray:
    """Stereo chords and noise bursts: something the model hears as music, different every second."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    notes = 110 * 2 ** (rng.integers(0, 24, size=int(seconds) + 1) / 12)
    tone = np.sin(2 * np.pi * notes[t.astype(int)] * t) * 0.3 + rng.normal(0, 0.02, len(t))
    return np.stack([tone, np.roll(tone, 441)], axis=1).astype(np.float32)


def write_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: folder / name for name in ("song_3min.mp3", "mix_3h.mp3", "silence_12h.flac", "rate_1ghz.wav",
                                              "silence_15min.opus")}
    if not files["song_3min.mp3"].exists():
        sf.write(files["song_3min.mp3"], synth_song(180), 44100, format="MP3")
    if not files["mix_3h.mp3"].exists():  # 3 hours as the 3-minute song is made, written 10 minutes at a time
        with sf.SoundFile(files["mix_3h.mp3"], "w", samplerate=44100, channels=2, format="MP3") as out:
            for part in range(18):
                out.write(synth_song(600, seed=part))
    if not files["silence_12h.flac"].exists():
        with sf.SoundFile(files["silence_12h.flac"], "w", samplerate=44100, channels=1, format="FLAC",
                          subtype="PCM_16") as out:
            for _ in range(12 * 60):
                out.write(np.zeros(44100 * 60, dtype=np.int16))
    if not files["rate_1ghz.wav"].exists():
        sf.write(files["rate_1ghz.wav"], synth_song(2.3, sr=22050)[:, 0], 22050, subtype="PCM_16")  # ~200 KB
        data = bytearray(files["rate_1ghz.wav"].read_bytes())
        data[24:28] = (1_000_000_000).to_bytes(4, "little")
        files["rate_1ghz.wav"].write_bytes(bytes(data))
    if not files["silence_15min.opus"].exists() and shutil.which("ffmpeg"):  # past --max-duration's 600 s
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "900",
                        str(files["silence_15min.opus"])], check=True)
    return {name: path for name, path in files.items() if path.exists()}


class Server:
    def __init__(self, export: Path, tmp: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.tmp = tmp
        env = bench_env([ROOT / "src"]) | {"TMPDIR": str(tmp)}
        self.process = subprocess.Popen([sys.executable, "-c", "from spectrogenre.cli import app; app()", "serve",
                                         "--model", str(export), "--port", str(self.port)],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        resource.prlimit(self.process.pid, resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
        for _ in range(240):
            try:
                urllib.request.urlopen(self.url("/api/health"), timeout=1).read()
                return
            except OSError:
                time.sleep(0.25)
        raise SystemExit("the server did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")  # VmHWM back to the current RSS

    def peak_mb(self) -> float:
        """VmHWM: the most resident memory since the last reset_peak."""
        with open(f"/proc/{self.process.pid}/status") as status:
            return round(int(next(line for line in status if line.startswith("VmHWM:")).split()[1]) / 1024, 1)

    def rss_mb(self) -> float:
        with open(f"/proc/{self.process.pid}/status") as status:
            return round(int(next(line for line in status if line.startswith("VmRSS:")).split()[1]) / 1024, 1)

    def temp_bytes(self) -> int:
        """Bytes of the files the server holds open in its temp folder (spooled uploads are unlinked at once)."""
        total = 0
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            try:
                if os.readlink(fd).startswith(str(self.tmp)):
                    total += fd.stat().st_size
            except OSError:
                continue
        return total

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def upload(url: str, path: Path) -> tuple[int, float, str | None]:
    boundary = "bench-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
            return response.status, time.perf_counter() - started, None
    except urllib.error.HTTPError as err:
        return err.code, time.perf_counter() - started, err.headers.get("retry-after")


def concurrent(server: Server, song: Path) -> dict:
    server.reset_peak()
    answers = [None] * CONCURRENT
    threads = [threading.Thread(target=lambda i=i: answers.__setitem__(i, upload(server.url("/api/classify"), song)))
               for i in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ok = sorted(seconds for status, seconds, _ in answers if status == 200)
    statuses = {str(s): sum(1 for a in answers if a[0] == s) for s in sorted({a[0] for a in answers})}
    return {"statuses": statuses, "retry_after_on_every_503": all(a[2] for a in answers if a[0] == 503),
            "p50_s": round(statistics.median(ok), 2) if ok else None,
            "p95_s": round(ok[min(len(ok) - 1, int(0.95 * len(ok)))], 2) if ok else None,
            "server_peak_rss_mb": server.peak_mb(), "server_rss_after_mb": server.rss_mb()}


def hostile(server: Server, path: Path) -> dict:
    server.reset_peak()
    status, seconds, _ = upload(server.url("/api/classify"), path)
    return {"bytes": path.stat().st_size, "status": status, "seconds": round(seconds, 2),
            "server_peak_rss_mb": server.peak_mb()}


def chunked_gigabyte(server: Server, limit_bytes: int) -> dict:
    """Send a 1 GB chunked body; seconds from passing the limit to the answer, and the most the server's temp
    files held (sampled after every MB sent)."""
    boundary = "bench-boundary"
    preamble = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\n"
                "Content-Type: audio/wav\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall((f"POST /api/classify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                  f"boundary={boundary}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
                 + f"{len(preamble):x}\r\n".encode() + preamble + b"\r\n")
    chunk = f"{1 << 20:x}\r\n".encode() + bytes(1 << 20) + b"\r\n"
    most_on_disk, passed_at, answered_at, sent = 0, None, None, 0
    sock.setblocking(False)
    while sent < 1 << 30 and answered_at is None:
        pending = chunk
        while pending:
            try:
                pending = pending[sock.send(pending):]
            except BlockingIOError:
                time.sleep(0.001)
            except (BrokenPipeError, ConnectionResetError):
                pending = b""
                answered_at = answered_at or time.perf_counter()
            try:
                if answered_at is None and sock.recv(1, socket.MSG_PEEK):
                    answered_at = time.perf_counter()
            except BlockingIOError:
                pass
        sent += 1 << 20
        if passed_at is None and sent > limit_bytes:
            passed_at = time.perf_counter()
        most_on_disk = max(most_on_disk, server.temp_bytes())
    sock.close()
    return {"sent_mb": sent >> 20, "seconds_after_limit": round(answered_at - passed_at, 2) if answered_at else None,
            "temp_folder_peak_mb": round(most_on_disk / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, default=ROOT / "data/export")
    args = parser.parse_args()
    work = ROOT / "bench/out/server_load"
    files = write_inputs(work / "inputs")
    results = {"load_average_at_start": load_average()}
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        server = Server(args.export, Path(tmp))
        try:
            results["concurrent_3min_mp3"] = concurrent(server, files["song_3min.mp3"])
            results["hostile"] = {name: hostile(server, files[name]) for name in
                                  ("silence_12h.flac", "rate_1ghz.wav", "silence_15min.opus", "mix_3h.mp3")
                                  if name in files}
            results["chunked_1gb"] = chunked_gigabyte(server, 20 << 20)
        finally:
            server.stop()
    env = bench_env([ROOT / "src"])
    predict = [sys.executable, "-c", "from spectrogenre.cli import app; app()", "predict", "--model", str(args.export)]
    results["predict_peak_rss_mb"] = {name: run_measured(predict + [str(files[name])], env=env)["peak_rss_mb"]
                                      for name in ("song_3min.mp3", "mix_3h.mp3")}
    (ROOT / "bench/server_load.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
