"""The checkers stay pure: they import the history and nothing else of hasim."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import sim.checkers

ALLOWED_SIM = ("sim.history", "sim.checkers")


def imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom):
            names.append("sim.checkers")  # relative: inside the package
    return names


def test_checkers_import_only_history_stdlib_and_numpy() -> None:
    package = Path(sim.checkers.__file__).parent
    offending = []
    for path in sorted(package.glob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top == "numpy"
                or any(name == m or name.startswith(m + ".") for m in ALLOWED_SIM)
            )
            if not allowed:
                offending.append(f"{path.name}: {name}")
    assert offending == []
