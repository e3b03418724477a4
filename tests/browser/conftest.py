"""The phone app in headless Chromium (Debian's), served by `spectrogenre serve`'s app.

The export is the band model of band_model.py, unless SPECTROGENRE_BROWSER_EXPORT names
an export folder (e.g. data/export) to run the same tests with a trained model.
Screenshots of result screens go to tests/browser/artifacts/.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

# SPECTROGENRE_CHROMIUM names another build (Google Chrome, a Chromium elsewhere)
_FOUND = os.environ.get("SPECTROGENRE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM = Path(_FOUND or "/usr/bin/chromium")
STATIC = Path(__file__).resolve().parents[2] / "src/spectrogenre/server/static"
ARTIFACTS = Path(__file__).parent / "artifacts"

NO_CHROMIUM = None if CHROMIUM.exists() else pytest.mark.skip(
    reason=f"{CHROMIUM} is missing (Debian: apt-get install chromium; or set SPECTROGENRE_CHROMIUM to a Chromium or "
           f"Chrome)")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the phone app in headless Chromium")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker("browser")
            if NO_CHROMIUM is not None:
                item.add_marker(NO_CHROMIUM)


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory) -> Path:
    if os.environ.get("SPECTROGENRE_BROWSER_EXPORT"):
        return Path(os.environ["SPECTROGENRE_BROWSER_EXPORT"])
    from tests.browser.band_model import write_band_export

    return write_band_export(tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="session")
def exported(export_dir):
    from spectrogenre.inference import ExportedModel

    return ExportedModel.load(export_dir)


@contextlib.contextmanager
def serve(export_dir: Path):
    """The app for export_dir served by uvicorn in a thread, on a free port of 127.0.0.1: yields its URL."""
    import uvicorn

    from spectrogenre.server.app import create_app
    from spectrogenre.server.settings import ServerSettings

    if not (STATIC / "vendor/litertjs-core/index.js").exists():
        pytest.fail("the browser runtime is not vendored: run `bash web/vendor.sh` first")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(ServerSettings(export_dir=export_dir)), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="package")  # stopped before the rest of the suite runs
def base_url(export_dir) -> str:
    with serve(export_dir) as url:
        yield url


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def song(audio_dir) -> Path:
    """About 29 s of demo-library music (silent lead-in and lead-out) as 16-bit stereo WAV at 44.1 kHz."""
    from spectrogenre.demo.library import plan_library, render_track

    job = plan_library(albums_per_genre=3, tracks_per_album=1)[0]
    job = dataclasses.replace(job, seconds=25.0, sr=44100, channels=2)
    path = audio_dir / "song.wav"
    sf.write(path, render_track(job), job.sr, subtype="PCM_16")
    return path


def launch_chromium(playwright, microphone: Path):
    """Headless Chromium, offline-quiet, whose fake microphone plays `microphone` (a WAV, in a loop)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone}",
    ])


@pytest.fixture(scope="package")
def browser(song):
    """Chromium whose fake microphone plays `song` (in a loop)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, song)
        yield playwright, browser
        browser.close()


@contextlib.contextmanager
def open_phone(browser, url: str, screenshot: Path, *, console: list | None = None, requests: list | None = None):
    """A fresh Pixel 7 (new profile: no cache, no service worker) with the app at url open and ready.

    console and requests, when given, collect what the page logs ("type: text") and the URLs it
    requests, from its first load on.
    """
    playwright, chromium = browser
    context = chromium.new_context(**playwright.devices["Pixel 7"], permissions=["microphone"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    if console is not None:
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    if requests is not None:
        page.on("request", lambda request: requests.append(request.url))
    page.goto(url)
    wait_ready(page)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=screenshot, full_page=True)
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def phone(browser, base_url, request):
    """The phone with the app of the test export (export_dir)."""
    with open_phone(browser, base_url, ARTIFACTS / f"{request.node.name}.png") as page:
        yield page


def wait_ready(page, timeout_ms: float = 30_000) -> None:
    """Wait until the app has loaded its model (or failed: then fail with its message)."""
    page.wait_for_function("() => { const s = document.getElementById('status');"
                           " return s.textContent.startsWith('Ready') || s.classList.contains('error'); }",
                           timeout=timeout_ms)
    status = page.locator("#status")
    assert "error" not in (status.get_attribute("class") or ""), status.text_content()


def set_server_mode(page, on: bool) -> None:
    switch = page.locator("#server-mode")
    if switch.is_checked() != on:
        switch.click()


def shown_verdict(page, timeout_ms: float = 60_000) -> dict:
    """Wait for a result (or an error) and return what the result view shows."""
    page.wait_for_function("() => !document.getElementById('result').hidden"
                           " && !document.getElementById('record').disabled"
                           " || document.getElementById('status').classList.contains('error')",
                           timeout=timeout_ms)
    assert "error" not in (page.locator("#status").get_attribute("class") or ""), page.text_content("#status")
    return {
        "genre": page.text_content("#genre"),
        "bars": page.locator("#bars li").evaluate_all("items => items.map(li => li.dataset.genre)"),
        "meta": page.text_content("#result-meta"),
        "history": page.locator("#history li").count(),
    }


def page_array(page, expression: str) -> np.ndarray:
    """A Float32Array the page computes, fetched as base64 (much lighter than a JSON list)."""
    encoded = page.evaluate(f"""async () => {{
        const data = new Uint8Array((await ({expression})).buffer);
        let text = '';
        for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode(...data.subarray(i, i + 0x8000));
        return btoa(text);
    }}""")
    return np.frombuffer(base64.b64decode(encoded), dtype=np.float32)
