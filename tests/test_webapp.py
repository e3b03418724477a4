"""`spectrogenre app OUT`: the static site holds the app, the runtime and the export, and its build id
(the service worker's cache name) changes exactly when a file does."""

import json
import re
from pathlib import Path

import pytest

from spectrogenre.errors import SpectrogenreError
from spectrogenre.webapp import STATIC, build_site

pytestmark = pytest.mark.skipif(not (STATIC / "vendor" / "litertjs-core" / "index.js").exists(),
                                reason="the runtime is not vendored (bash web/vendor.sh)")


def test_the_site_holds_app_runtime_and_export_under_one_build(tiny_project, tmp_path):
    export = tiny_project / "data/export"
    built = build_site(export, tmp_path / "site")
    site = tmp_path / "site"
    for name in ("index.html", "manifest.webmanifest", "js/app.js", "vendor/litertjs-core/index.js", "icons/icon-192.png"):
        assert (site / name).is_file(), name
    assert (site / "model/spec.json").read_bytes() == (export / "spec.json").read_bytes()
    assert (site / "model/model.tflite").read_bytes() == (export / "model.tflite").read_bytes()
    worker = (site / "sw.js").read_text()
    assert f"const CACHE = 'spectrogenre-{built['build']}';" in worker and "const BUILT = true;" in worker
    assert re.search(r"const MODEL_FILES = \['model/spec.json', 'model/model.tflite', "
                     r"'model/model_dynamic_range.tflite'\];", worker)
    # the whole runtime is cached at install, each of its builds (the threaded one too)
    runtime = re.search(r"const RUNTIME_FILES = \[(.*)\];", worker)[1]
    for name in ("vendor/litertjs-core/index.js", "vendor/litertjs-wasm-utils/index.js",
                 "vendor/litertjs-core/wasm/litert_wasm_threaded_internal.wasm",
                 "vendor/litertjs-core/wasm/litert_wasm_threaded_internal.js",
                 "vendor/litertjs-core/wasm/litert_wasm_compat_internal.wasm"):
        assert f"'{name}'" in runtime, name
    spec = json.loads((export / "spec.json").read_text())
    assert json.loads((site / "build.json").read_text()) == {"build": built["build"], "model_version": spec["version"]}
    # the page tells the app there is no server behind it (the served page says there is)
    assert '<meta name="spectrogenre-host" content="static">' in (site / "index.html").read_text()
    assert '<meta name="spectrogenre-host" content="server">' in (STATIC / "index.html").read_text()


def test_the_build_id_changes_with_the_model_and_only_then(tiny_project, tmp_path):
    import shutil

    export = tmp_path / "export"
    shutil.copytree(tiny_project / "data/export", export)
    first = build_site(export, tmp_path / "a")["build"]
    assert build_site(export, tmp_path / "b")["build"] == first  # the same inputs: the same build
    spec = json.loads((export / "spec.json").read_text())
    (export / "spec.json").write_text(json.dumps(spec | {"labels": spec["labels"][::-1]}))
    assert build_site(export, tmp_path / "a")["build"] != first  # replaced whole, under a new build id
    assert not list(tmp_path.glob(".a*"))  # no half-built or old copy left beside it


def test_a_folder_that_is_not_a_site_is_never_replaced(tiny_project, tmp_path):
    # `spectrogenre app ~/Music` by mistake must not delete the music: only an empty folder or an earlier
    # build (its build.json) is replaced
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.txt").write_text("precious")
    with pytest.raises(SpectrogenreError, match=r"mine holds files that are not an app build .*thesis.txt"):
        build_site(tiny_project / "data/export", out)
    assert (out / "thesis.txt").read_text() == "precious" and not list(tmp_path.glob(".mine*"))
    (tmp_path / "file").write_text("precious")
    with pytest.raises(SpectrogenreError, match=r"file is a file, not a folder"):
        build_site(tiny_project / "data/export", tmp_path / "file")
    assert (tmp_path / "file").read_text() == "precious"
    (tmp_path / "empty").mkdir()
    build_site(tiny_project / "data/export", tmp_path / "empty")  # an empty folder is fine
    assert (tmp_path / "empty/build.json").is_file()


def test_the_current_folder_is_refused_by_name_not_a_traceback(tmp_path, monkeypatch):
    # `spectrogenre app .` in a new empty folder: Path(".") has no name for the build beside it (ValueError), and
    # replacing the folder the shell is in would leave the shell in a deleted one
    (tmp_path / "export").mkdir()
    (tmp_path / "export/spec.json").write_text("{}")  # refused before it is read
    (tmp_path / "site").mkdir()
    monkeypatch.chdir(tmp_path / "site")
    for out in (".", "./", str(tmp_path / "site")):
        with pytest.raises(SpectrogenreError, match=r"is the current folder: the app replaces its folder whole, so "
                                                    r"name it from outside it \(spectrogenre app \.\./site\)"):
            build_site(tmp_path / "export", Path(out))
    assert (tmp_path / "site").is_dir() and not list((tmp_path / "site").iterdir())


def test_no_export_is_one_clear_error(tmp_path):
    with pytest.raises(SpectrogenreError, match="no spec.json in .*: run `dvc repro export` first"):
        build_site(tmp_path, tmp_path / "site")


def test_a_new_file_of_the_app_is_cached_at_install_without_listing_it(tiny_project, tmp_path):
    import shutil

    static = tmp_path / "static"
    shutil.copytree(STATIC, static, ignore=shutil.ignore_patterns("swagger-ui"))
    (static / "js" / "lyrics.js").write_text("export const lyrics = [];\n")
    build_site(tiny_project / "data/export", tmp_path / "site", static=static)
    worker = (tmp_path / "site" / "sw.js").read_text()
    shell = re.findall(r"'([^']+)'", re.search(r"const SHELL = \[(.*)\];", worker)[1])
    assert shell[:2] == ["./", "app.css"] and "js/lyrics.js" in shell and "js/app.js" in shell
    assert not [name for name in shell if name.startswith(("vendor/", "model/")) or name == "sw.js"]
    assert all((tmp_path / "site" / name).is_file() for name in shell[1:])
