"""`spectrogenre report` on the tiny project: a committed run against a DVC experiment with fewer epochs."""

import json
import subprocess

import pytest

from spectrogenre.errors import SpectrogenreError
from spectrogenre.report import MISSING, metrics_section, params_section, write_report
from tests.tiny_project import TARGETS, make_tiny_project, run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
METRIC_FILES = ("data/evaluate/metrics.json", "data/train/summary.json", "data/export/report.json")
CHECKED = ("clip.test.accuracy", "track.test.accuracy", "clip.val.macro_f1", "track.test.macro_f1",
           "test_per_genre.Drone.f1", "bytes.model.tflite", "bytes.model_dynamic_range.tflite", "epochs_run",
           "calibration.test_ece_raw")


def flat(data: dict, prefix: str = "") -> dict:
    """Nested JSON as DVC names its metrics: {"clip": {"test": {"accuracy": x}}} -> {"clip.test.accuracy": x}."""
    out = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


def read_metrics(project) -> dict:
    """The three metrics files in the workspace, flattened into one dict keyed like DVC's diffs."""
    metrics = {}
    for name in METRIC_FILES:
        metrics |= flat(json.loads((project / name).read_text()))
    return metrics


def table_rows(markdown: str) -> dict[str, list[str]]:
    """The report's table rows by their first cell (a `param` or `metric` name): the other cells."""
    rows = {}
    for line in markdown.splitlines():
        if line.startswith("| `"):
            first, *rest = (cell.strip() for cell in line.strip("|").split("|"))
            rows[first.strip("`")] = rest
    return rows


def number(cell: str) -> float:
    return float(cell.replace(",", ""))


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """(project, metrics at HEAD, metrics in the workspace): HEAD ran 12 epochs; the workspace holds the
    DVC experiment `fewer-epochs` (train.epochs=6), run the way CI runs a pull request."""
    project = make_tiny_project(tmp_path_factory.mktemp("report"))
    old = read_metrics(project)
    run(["dvc", "exp", "run", "-n", "fewer-epochs", "-S", "train.epochs=6", *TARGETS], project)
    return project, old, read_metrics(project)


@pytest.fixture(scope="module")
def report(two_runs, tmp_path_factory):
    project, _, _ = two_runs
    return write_report("HEAD", tmp_path_factory.mktemp("reports"), repo=project)


def test_report_lists_the_changed_param_with_old_and_new_values(report):
    rows = table_rows(report.read_text())
    assert rows["train.epochs"] == ["12", "6"]
    assert "train.seed" not in rows  # unchanged params stay out


def test_report_metric_deltas_are_new_minus_old(two_runs, report):
    _, old, new = two_runs
    rows = table_rows(report.read_text())
    assert (old["epochs_run"], new["epochs_run"]) == (12, 6)  # no early stop in the tiny project
    for key in CHECKED:
        old_cell, new_cell, delta_cell = rows[key]
        delta = new[key] - old[key]
        assert (number(old_cell), number(new_cell)) == (pytest.approx(old[key]), pytest.approx(new[key])), key
        assert number(delta_cell) == pytest.approx(delta, abs=1e-4), key
        assert delta_cell.startswith("+") == (round(delta, 4) > 0), key


def test_report_links_its_plots_as_png_files(report):
    markdown = report.read_text()
    for name in ("confusion", "accuracy", "loss"):
        assert f"]({name}.png)" in markdown
        assert (report.parent / f"{name}.png").read_bytes()[:8] == PNG_MAGIC


def test_a_param_or_metric_missing_at_the_base_shows_a_dash():
    params = params_section({"params.yaml": {"train.dropout": {"old": None, "new": 0.5}}}, "main")
    assert "| `train.dropout` | — | 0.5 |" in params
    metrics = metrics_section({"m.json": {"clip.test.accuracy": {"old": None, "new": 0.75}}}, "main")
    assert f"| `clip.test.accuracy` | {MISSING} | 0.75 | {MISSING} |" in metrics


def test_unknown_revision_and_missing_dvc_are_clear_errors(two_runs, tmp_path):
    project, _, _ = two_runs
    with pytest.raises(SpectrogenreError, match="unknown Git revision 'no-such-rev'"):
        write_report("no-such-rev", tmp_path / "out", repo=project)
    subprocess.run(["git", "init", "-q", str(tmp_path / "plain")], check=True)
    with pytest.raises(SpectrogenreError, match="not a DVC project"):
        write_report("HEAD", tmp_path / "out", repo=tmp_path / "plain")


def test_cli_compares_with_a_dvc_experiment_by_name(two_runs, tmp_path):
    project, _, _ = two_runs
    out = run(["spectrogenre", "report", "--base", "fewer-epochs", "--out", tmp_path], project).stdout
    markdown = (tmp_path / "report.md").read_text()
    assert out.strip() == str(tmp_path / "report.md")
    assert "No param differs from `fewer-epochs`." in markdown  # the workspace is that experiment
    assert {cells[-1] for cells in table_rows(markdown).values()} == {"0"}
