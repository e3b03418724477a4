"""dvc.yaml lists, for every stage, each spectrogenre module its script can import (found by reading the
code, imports inside functions included): a module missing there would let a change to it go
unnoticed by `dvc repro`, and the lock would not say what the outputs came from.

Imports under `if TYPE_CHECKING` never run and do not count. One exception keeps data stages from
depending on training code they never run: a model kind's module (spectrogenre.kinds) imports
training modules lazily in its fitting and export functions, which count for the stages that fit
or run models only (MODEL_STAGES); other stages call only its declarations (KIND_DECLARATIONS)."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def module_file(name: str) -> Path | None:
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


MODEL_STAGES = {"train", "crossval", "evaluate", "export"}
KIND_DECLARATIONS = {"frontend", "requirement"}


def statements(path: Path, *, model_stage: bool):
    tree = ast.parse(path.read_text())
    tree.body = [node for node in tree.body if not (isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test))]
    if path.parent.name == "kinds" and not model_stage:
        tree.body = [node for node in tree.body
                     if not isinstance(node, ast.FunctionDef) or node.name in KIND_DECLARATIONS]
    return ast.walk(tree)


def imported_modules(path: Path, *, model_stage: bool = True) -> set[str]:
    """spectrogenre modules a file imports anywhere in it (packages' __init__ included)."""
    found = set()
    for node in statements(path, model_stage=model_stage):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name.split(".")[0] != "spectrogenre":
                continue
            parts = name.split(".")
            found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1) if module_file(".".join(parts[:i]))}
    return found


def closure(script: Path, *, model_stage: bool) -> set[Path]:
    files, todo = set(), [script]
    while todo:
        for name in imported_modules(todo.pop(), model_stage=model_stage):
            path = module_file(name)
            if path not in files:
                files.add(path)
                todo.append(path)
    return files


def covered(path: Path, deps: list[str]) -> bool:
    relative = path.relative_to(ROOT).as_posix()
    return any(relative == dep or relative.startswith(dep.rstrip("/") + "/") for dep in deps)


def test_every_stage_lists_the_modules_its_script_imports():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    missing = {}
    for name, stage in stages.items():
        script = ROOT / stage["cmd"].split()[1]
        deps = [d if isinstance(d, str) else next(iter(d)) for d in stage.get("deps", [])]
        assert covered(script, deps), f"{name}: its script {script.name} is not a dependency"
        lacking = sorted(p.relative_to(ROOT).as_posix() for p in closure(script, model_stage=name in MODEL_STAGES)
                         if not covered(p, deps))
        if lacking:
            missing[name] = lacking
    assert not missing, "dvc.yaml lacks imported modules: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in missing.items())
