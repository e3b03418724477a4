"""Per-window latency of the phone app's model in headless Chromium (a Pixel 7's screen and user agent):
each model kind, on 1 thread and on the app's threads, unthrottled and with 4x CPU throttling (the
stand-in for a mid-range phone), side by side in one run; native LiteRT per window beside it.

    python -m bench.app_latency [--runs 5]    # about 5 minutes on 2 cores

The models are the kinds' real networks with an untrained head (latency does not depend on the
weights), exported by the export stage's code and served as `spectrogenre app` builds them, from
a static server on loopback; the page is reloaded once its service worker controls it, so it is
cross-origin isolated as an installed app is. Each run classifies one 15 s window (a 15 s WAV at
the model's own rate: no resampling); "model ms" is the app's own timing of the model call.
Writes bench/app_latency.json and prints it.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np
import soundfile as sf

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.measure import ROOT, load_average
from bench.window_latency import window_latency

LABELS = ("A", "B", "C", "D")
# as the browser tests find it: SPECTROGENRE_CHROMIUM, else chromium or chromium-browser on the PATH
CHROMIUM = os.environ.get("SPECTROGENRE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser") \
    or "/usr/bin/chromium"
# (kind, model.layers): the seed CNN, and musicnn with each network the layers run (musicnn's, MSD_vgg, both)
MODELS = (("seed_cnn", ()), ("musicnn", ("embedding",)), ("musicnn", ("vgg",)), ("musicnn", ("embedding", "vgg")))


def make_export(kind: str, folder: Path, layers: tuple[str, ...] = ("embedding",)) -> Path:
    """An export of `kind` (seed_cnn or musicnn, its `layers` pooled by mean_std) with an untrained head, through
    export_model."""
    import keras

    from spectrogenre.export import export_model
    from spectrogenre.files import write_json, write_npz
    from spectrogenre.frontend import Frontend
    from spectrogenre.params import ExportParams, TrimParams

    keras.utils.set_random_seed(0)
    if kind == "musicnn":
        from spectrogenre.heads import LogisticHead, attach_head
        from spectrogenre.musicnn.checkpoint import load_musicnn
        from spectrogenre.musicnn.classifier import clip_embedder
        from spectrogenre.musicnn.vgg import load_vgg

        frontend = Frontend.musicnn()
        rng = np.random.default_rng(0)
        embedder = clip_embedder(frontend.shape, load_musicnn(), names=layers, pooling="mean_std",
                                 vgg=load_vgg() if "vgg" in layers else None)
        width = embedder.output.shape[-1]
        head = LogisticHead(mean=np.zeros(width, np.float32), scale=np.ones(width, np.float32),
                            weights=rng.normal(0, 0.1, (width, len(LABELS))).astype(np.float32),
                            bias=np.zeros(len(LABELS), np.float32))
        model = attach_head(embedder, head, name="musicnn")
        x = rng.uniform(0, 3, (2, *frontend.shape)).astype(np.float16)
    else:
        from spectrogenre.model import build_seed_cnn

        frontend = Frontend()
        model = build_seed_cnn(frontend.shape, len(LABELS), mean=-40.0, std=20.0)
        x = np.random.default_rng(0).normal(-40, 20, (2, *frontend.shape)).astype(np.float16)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "model.keras")
    write_npz(folder / "features/chunks/test-00000.npz", x=x, y=np.zeros(len(x), np.int16), clip_id=np.arange(len(x)))
    write_json({"labels": list(LABELS), "chunks": {"test": ["chunks/test-00000.npz"]}}, folder / "features/dataset.json")
    write_json({"calibration": {"temperature": 1.0}}, folder / "metrics.json")
    export_model(folder / "model.keras", folder / "features", folder / "metrics.json", folder / "export",
                 frontend=frontend, trim=TrimParams(), export=ExportParams(tolerance=1e-3), kind=kind)
    sf.write(folder / "window.wav", bursts(frontend.sample_rate), frontend.sample_rate, subtype="PCM_16")
    return folder


def bursts(sample_rate: int, seconds: float = 15.0) -> np.ndarray:
    """Noise whose level jumps every quarter second (0 to -30 dB): not steady, so the app classifies it (steady
    noise is "no music heard" without reaching the model)."""
    rng = np.random.default_rng(1)
    n, step = int(seconds * sample_rate), sample_rate // 4
    gains = np.repeat(10 ** (rng.uniform(-30, 0, n // step + 1) / 20), step)[:n]
    return (rng.uniform(-0.3, 0.3, n) * gains).astype(np.float32)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def served(site: Path):
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def page_timings(playwright, browser, url: str, wav: Path, *, runs: int, throttle: float) -> dict:
    context = browser.new_context(**playwright.devices["Pixel 7"])
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=60_000)
    page.reload()  # now served by the worker, with the isolation headers
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Ready')", timeout=120_000)
    if throttle > 1:
        page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    encoded = base64.b64encode(wav.read_bytes()).decode()
    script = """async (encoded) => {
        const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)).buffer;
        const r = await window.spectrogenre.analyse(bytes);
        return { threads: r.threads, isolated: r.isolated, windows: r.windows.length, timings: r.timings };
    }"""
    page.evaluate(script, encoded)  # warm-up
    results = [page.evaluate(script, encoded) for _ in range(runs)]
    context.close()
    per_window = [r["timings"]["model"] / r["windows"] for r in results]
    total = [sum(r["timings"].values()) / r["windows"] for r in results]
    return {"threads": results[0]["threads"], "isolated": results[0]["isolated"],
            "model_ms": round(statistics.median(per_window), 1), "all_steps_ms": round(statistics.median(total), 1)}


def main() -> None:
    from playwright.sync_api import sync_playwright

    from spectrogenre.webapp import build_site

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = {"load_average_at_start": load_average(), "rows": []}
    with tempfile.TemporaryDirectory() as work, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for kind, layers in MODELS:
            folder = make_export(kind, Path(work) / f"{kind}-{'+'.join(layers)}", layers)
            build_site(folder / "export", folder / "site")
            native = window_latency(folder / "export/model.tflite", runs=20, threads=2)["median_ms"]
            server = served(folder / "site")
            try:
                for throttle in (1, 4):
                    for threads in (1, 4):
                        url = f"http://127.0.0.1:{server.server_port}/?threads={threads}"
                        row = {"kind": kind, "layers": "+".join(layers), "cpu_throttle": throttle,
                               "asked_threads": threads,
                               "native_litert_2_threads_ms": native}
                        row |= page_timings(playwright, browser, url, folder / "window.wav", runs=args.runs,
                                            throttle=throttle)
                        results["rows"].append(row)
                        print(row, flush=True)
            finally:
                server.shutdown()
        browser.close()
    (ROOT / "bench/app_latency.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
