"""`spectrogenre report`: the workspace against a git revision or DVC experiment, as Markdown and PNGs.

Every number and every plot comes from DVC (`dvc params diff`, `dvc metrics diff`,
`dvc plots diff`); this module only picks the rows worth reading, formats them, and
renders DVC's vega-lite specs offline with vl-convert.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from spectrogenre.errors import SpectrogenreError

REPORT = "report.md"
# Metric keys reported, in this order (alphabetical within a pattern); the rest stay in `dvc metrics diff`.
REPORTED_METRICS = (
    r"(clip|track)\.[^.]+\.(accuracy|macro_f1)",
    r"test_per_genre\..+\.f1",
    r"bytes\..+",
    r"best_epoch|epochs_run",
    r"calibration\.test_ece(_raw)?",
)
# dvc.yaml's confusion plot and its top-level training curves; the PNG is named after the target's stem.
PLOTS = ("data/evaluate/confusion.csv", "accuracy", "loss")
MISSING = "—"


def run_dvc(args: list[str], repo: Path) -> subprocess.CompletedProcess:
    # This interpreter's DVC: the one installed with spectrogenre, whatever PATH says.
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, capture_output=True, text=True)


def dvc_json(args: list[str], repo: Path):
    """Run `dvc ARGS --json` in `repo` and parse its output; DVC's own error message if it fails."""
    done = run_dvc([*args, "--json"], repo)
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")] or [done.stderr.strip()]
        raise SpectrogenreError(f"`dvc {' '.join(args)}` failed: {' '.join(errors)}")
    return json.loads(done.stdout or "{}")


def check_dvc_project(repo: Path) -> None:
    """`dvc metrics diff` in a git repository without DVC answers {} rather than failing: fail here instead."""
    if run_dvc(["root"], repo).returncode != 0:
        raise SpectrogenreError(f"{repo.resolve()} is not a DVC project (no .dvc/ here or above): run `dvc init`")


def show(value, *, sign: bool = False) -> str:
    """A value for a table cell: numbers to at most 4 decimals, `sign` for deltas, MISSING for none."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:{'+' if sign and value else ''},}"
    if isinstance(value, float):
        text = f"{value:{'+' if sign else ''},.4f}".rstrip("0").rstrip(".")
        return "0" if text in ("+0", "-0") else text
    return str(value)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}",
            *(f"| {' | '.join(row)} |" for row in rows)]


def params_section(diff: dict, base: str) -> list[str]:
    rows = [[f"`{name}`" if file == "params.yaml" else f"`{file}:{name}`", show(change.get("old")),
             show(change.get("new"))]
            for file, changes in sorted(diff.items()) for name, change in sorted(changes.items())]
    if not rows:
        return ["## Params", "", f"No param differs from `{base}`."]
    return ["## Params changed", "", *table(["param", f"`{base}`", "workspace"], rows)]


def metric_rank(key: str) -> int | None:
    return next((i for i, pattern in enumerate(REPORTED_METRICS) if re.fullmatch(pattern, key)), None)


def metrics_section(diff: dict, base: str) -> list[str]:
    changes = {key: change for changes in diff.values() for key, change in changes.items()
               if metric_rank(key) is not None}
    rows = [[f"`{key}`", show(change.get("old")), show(change.get("new")), show(change.get("diff"), sign=True)]
            for key, change in sorted(changes.items(), key=lambda item: (metric_rank(item[0]), item[0]))]
    if not rows:
        return ["## Metrics", "", "No metrics in the workspace or at the base: run `dvc repro` first."]
    return ["## Metrics", "", *table(["metric", f"`{base}`", "workspace", "Δ"], rows)]


def render_plots(plots: dict, out_dir: Path) -> list[str]:
    """Each plot's vega-lite spec (both revisions overlaid or side by side) to a PNG; the Markdown that links it."""
    import vl_convert  # its bundled engine takes a moment to load; only the report needs it

    lines = ["## Plots"]
    for target in PLOTS:
        specs = [plot["content"] for plot in plots.get("data", {}).get(target, []) if plot["type"] == "vega"]
        if not specs:
            lines += ["", f"`{target}`: no data in the workspace or at the base."]
            continue
        png = f"{Path(target).stem}.png"
        (out_dir / png).write_bytes(vl_convert.vegalite_to_png(specs[0], scale=2))
        lines += ["", f"### `{target}`", "", f"![{target}]({png})"]
    return lines


def write_report(base: str, out_dir: Path, *, repo: Path = Path(".")) -> Path:
    """Write out_dir/report.md (params changed, metrics with deltas, plots as PNGs beside it): workspace vs `base`.

    `base` is anything DVC resolves: a git revision or a DVC experiment name.
    """
    check_dvc_project(repo)
    params = dvc_json(["params", "diff", base], repo)  # first: it fails cleanly on an unknown revision
    metrics = dvc_json(["metrics", "diff", "--all", base], repo)  # --all: unchanged metrics too, delta 0
    plots = dvc_json(["plots", "diff", base, "--targets", *PLOTS], repo)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"# spectrogenre: workspace vs `{base}`", "", *params_section(params, base), "",
             *metrics_section(metrics, base), "", *render_plots(plots, out_dir)]
    report = out_dir / REPORT
    report.write_text("\n".join(lines) + "\n")
    return report
