"""`spectrogenre app OUT`: the phone app as a self-contained static site, for any static HTTPS host.

The site is the app the server serves (server/static: pages, scripts, icons, manifest, the
vendored LiteRT.js runtime) with the export's spec.json and model files under model/, the
paths the app reads; nothing else is needed to install it and run it offline. Its service
worker's cache is named after the build (a hash of every file), so a new build replaces the
cached app and model together, never one without the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from spectrogenre.errors import SpectrogenreError

STATIC = Path(__file__).parent / "server" / "static"
# sw.js's lines that a build rewrites (see its header); the server writes in SHELL alone
CACHE_LINE, BUILT_LINE, MODEL_FILES_LINE = "const CACHE = 'spectrogenre-v3';", "const BUILT = false;", "const MODEL_FILES = [];"
RUNTIME_FILES_LINE, SHELL_LINE = "const RUNTIME_FILES = [];", "const SHELL = [];"
# index.html's line that tells the app whether a server is behind it: a static site has none to ask for
HOST_LINE, STATIC_HOST_LINE = '<meta name="spectrogenre-host" content="server">', '<meta name="spectrogenre-host" content="static">'


def build_site(export_dir: Path, out_dir: Path, *, static: Path = STATIC) -> dict:
    """Write the site into out_dir (replaced whole, atomically; only a new or empty folder or an earlier build);
    returns {"files", "bytes", "build"}."""
    export_dir, out_dir = Path(export_dir), Path(out_dir)
    spec_path = export_dir / "spec.json"
    if not spec_path.exists():
        raise SpectrogenreError(f"no spec.json in {export_dir}: run `dvc repro export` first")
    if not (static / "vendor" / "litertjs-core" / "index.js").exists():
        raise SpectrogenreError(f"the app's runtime is not vendored into {static / 'vendor'}: run `bash web/vendor.sh`")
    refuse_to_replace(out_dir)
    try:
        spec = json.loads(spec_path.read_text())
        models = sorted({*spec["models"].values(), *spec.get("browser_models", {}).values()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:  # as ExportedModel.load says it
        raise SpectrogenreError(f"{spec_path} cannot be read ({type(err).__name__}: {err}): export it again with "
                                f"`dvc repro export`") from None
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        # everything but Swagger UI, which serves the server's /docs
        shutil.copytree(static, building, dirs_exist_ok=True, ignore=shutil.ignore_patterns("swagger-ui"))
        page = (building / "index.html").read_text()
        if HOST_LINE not in page:
            raise SpectrogenreError(f"index.html no longer declares {HOST_LINE!r}: update spectrogenre.webapp")
        (building / "index.html").write_text(page.replace(HOST_LINE, STATIC_HOST_LINE))
        (building / "model").mkdir()
        for name in ["spec.json", *models]:
            shutil.copyfile(export_dir / name, building / "model" / name)
        files = sorted(p for p in building.rglob("*") if p.is_file() and p.name != "sw.js")
        digest = hashlib.sha256()
        for path in files:
            digest.update(path.relative_to(building).as_posix().encode() + b"\0" + path.read_bytes())
        build = digest.hexdigest()[:12]
        model_files = [f"model/{name}" for name in ["spec.json", *models]]
        runtime_files = [p.relative_to(building).as_posix() for p in files if p.relative_to(building).parts[0] == "vendor"]
        (building / "sw.js").write_text(service_worker(static, {
            CACHE_LINE: f"const CACHE = 'spectrogenre-{build}';", BUILT_LINE: "const BUILT = true;",
            MODEL_FILES_LINE: f"const MODEL_FILES = {_js_list(model_files)};",
            RUNTIME_FILES_LINE: f"const RUNTIME_FILES = {_js_list(runtime_files)};"}))
        (building / "build.json").write_text(json.dumps({"build": build, "model_version": spec.get("version")}) + "\n")
        old = out_dir.with_name(f".{out_dir.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if out_dir.exists():
            os.replace(out_dir, old)
        os.replace(building, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    written = [p for p in out_dir.rglob("*") if p.is_file()]
    return {"files": len(written), "bytes": sum(p.stat().st_size for p in written), "build": build}


def refuse_to_replace(out_dir: Path) -> None:
    """Stop before out_dir is replaced unless it is absent, empty or an earlier build (its build.json): the
    site replaces the folder whole, and `spectrogenre app ~/Music` typed by mistake must not delete the music."""
    if Path(os.path.abspath(out_dir)) == Path.cwd():
        # "." has no name for the build written beside it, and the shell would be left in a deleted folder
        raise SpectrogenreError(f"{out_dir} is the current folder: the app replaces its folder whole, so name it "
                                f"from outside it (spectrogenre app ../{Path.cwd().name})")
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if not out_dir.is_dir():
        raise SpectrogenreError(f"{out_dir} is a file, not a folder: name a new or empty folder for the app")
    if (out_dir / "build.json").is_file():
        return
    held = sorted(p.name for p in out_dir.iterdir())
    if held:
        shown = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
        raise SpectrogenreError(f"{out_dir} holds files that are not an app build ({shown}): the app replaces "
                                f"its folder whole, so name a new or empty folder")


def service_worker(static: Path = STATIC, rewritten: dict[str, str] | None = None) -> str:
    """`static`'s sw.js with its SHELL written in (shell_files) and each line in `rewritten` replaced."""
    worker = (static / "sw.js").read_text()
    rewritten = {SHELL_LINE: f"const SHELL = {_js_list(shell_files(static))};", **(rewritten or {})}
    for line, replacement in rewritten.items():
        if line not in worker:
            raise SpectrogenreError(f"sw.js no longer declares {line!r}: update spectrogenre.webapp")
        worker = worker.replace(line, replacement)
    return worker


def shell_files(static: Path = STATIC) -> list[str]:
    """The app's own files, which its service worker caches at install: './' (the page's address) and every
    file of `static` but the worker itself and vendor/ (the runtime, cached by its own rule)."""
    names = (p.relative_to(static) for p in static.rglob("*") if p.is_file())
    return ["./", *sorted(name.as_posix() for name in names if name.as_posix() != "sw.js"
                          and name.parts[0] != "vendor" and not any(part.startswith(".") for part in name.parts))]


def _js_list(paths: list[str]) -> str:
    """A JavaScript array of strings, as sw.js writes them: ['a', 'b']."""
    return json.dumps(paths).replace('"', "'")
