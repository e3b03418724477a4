"""Add to dvc.yaml each spectrogenre module a stage imports but does not list (what tests/test_dvc_deps.py
checks), after the stage's last `src/` dependency; comments and order stay as they are.

    python tools/add_missing_dvc_deps.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_dvc_deps import MODEL_STAGES, closure, covered  # noqa: E402


def main() -> None:
    path = ROOT / "dvc.yaml"
    lines = path.read_text().splitlines()
    missing = {}
    for name, stage in yaml.safe_load("\n".join(lines))["stages"].items():
        deps = [d if isinstance(d, str) else next(iter(d)) for d in stage.get("deps", [])]
        missing[name] = sorted(p.relative_to(ROOT).as_posix()
                               for p in closure(ROOT / stage["cmd"].split()[1], model_stage=name in MODEL_STAGES)
                               if not covered(p, deps))
    result, stage = [], None
    for i, line in enumerate(lines):
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":"):
            stage = line.strip()[:-1]
        result.append(line)
        last_src = line.strip().startswith("- src/") and not (
            i + 1 < len(lines) and lines[i + 1].strip().startswith("- src/"))
        if stage in missing and last_src:
            result += [f"{line[: line.index('-')]}- {module}" for module in missing.pop(stage)]
    path.write_text("\n".join(result) + "\n")
    left = {name: modules for name, modules in missing.items() if modules}
    if left:
        raise SystemExit(f"stages with no src/ dependency to add after: {left}")


if __name__ == "__main__":
    main()
