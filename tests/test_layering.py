"""The import test STYLE.md asks for: the layers of hasim import only what they may.

Everything is read with `ast`, never imported, so that a forbidden import is found even in a
module that would fail to import, and in functions that import lazily.

- checkers are pure functions of the history: they import `sim.history` and nothing else of
  hasim (numpy and the standard library are fine);
- the file formats (`sim/spec`) import nothing of the engine: only `sim.units`, `sim.errors`
  and each other;
- the engine never imports the dashboard's libraries (only `sim/charts.py` draws figures);
- the dashboard uses the public API: `sim`, `sim.charts`, `sim.units`, `sim.catalog`,
  `sim.errors`;
- no system or product name is part of the engine's code (DESIGN.md: a preset is a family plus
  documented defaults; nothing is special-cased by name). Docstrings and comments may name the
  systems whose behaviour a model follows: that is explanation, not code.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIM = REPO / "sim"
DASHBOARD = REPO / "dashboard"

PRODUCT_NAMES = (
    "patroni",
    "postgres",
    "postgresql",
    "mysql",
    "etcd",
    "haproxy",
    "redis",
    "mongodb",
    "cassandra",
    "oracle",
    "cockroachdb",
    "spanner",
    "stolon",
    "orchestrator",
    "consul",
    "zookeeper",
    "timescaledb",
    "sqlserver",
    "mssql",
    "wsfc",
    "dataguard",
    "dynamodb",
    "tidb",
    "tikv",
    "neo4j",
    "elasticsearch",
    "opensearch",
    "influxdb",
    "questdb",
    "meilisearch",
    "scylladb",
    "galera",
)
# Whole words, with `_` and camelCase humps as word breaks (`etcd_ttl`, `HaproxyCheck`).
PRODUCT_RE = re.compile(rf"(?<![a-z0-9])({'|'.join(PRODUCT_NAMES)})(?![a-z0-9])", re.IGNORECASE)
DASHBOARD_LIBS = ("streamlit", "plotly", "pandas")


def py_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


@cache
def exported(module: str) -> frozenset[str]:
    """The names a package's `__init__` lists in `__all__` (its public API)."""
    init = REPO.joinpath(*module.split("."), "__init__.py")
    if not init.exists():
        return frozenset()
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return frozenset(ast.literal_eval(node.value))
    return frozenset()


def is_module(module: str) -> bool:
    base = REPO.joinpath(*module.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every module `path` imports, with the line."""
    yield from imports_in(path.read_text(encoding="utf-8"), module_name(path), is_package(path))


def imports_in(source: str, here: str, package: bool) -> Iterator[tuple[str, int]]:
    """Every module the source of module `here` imports, relative imports made absolute.

    `from pkg import name` counts as importing `pkg` when `name` is in its `__all__` (its
    public API), else as importing the submodule `pkg.name` when there is one.
    """
    parent = here if package else here.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = parent.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                if alias.name in exported(module) or not is_module(sub):
                    yield module, node.lineno
                else:
                    yield sub, node.lineno


def test_import_resolution() -> None:
    source = (
        "import numpy as np\n"
        "from . import rto\n"
        "from ..history import History\n"
        "from sim import history, run_seeds\n"
        "def f():\n"
        "    from sim.cluster.core import Cluster\n"
    )
    assert sorted(imports_in(source, "sim.checkers.writes", package=False)) == [
        ("numpy", 1),
        ("sim", 4),
        ("sim.checkers.rto", 2),
        ("sim.cluster.core", 6),
        ("sim.history", 3),
        ("sim.history", 4),
    ]


def within(module: str, allowed: tuple[str, ...]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def is_third_party_or_stdlib(module: str) -> bool:
    return module.split(".")[0] != "sim"


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(REPO)}:{line}"


def test_checkers_import_only_the_history() -> None:
    bad = []
    for path in py_files(SIM / "checkers"):
        for module, line in imports(path):
            top = module.split(".")[0]
            ok = (
                top in sys.stdlib_module_names
                or top == "numpy"
                or within(module, ("sim.history", "sim.checkers"))
            )
            if not ok:
                bad.append(f"{where(path, line)} imports {module}")
    assert bad == [], "checkers read only sim.history:\n" + "\n".join(bad)


def test_spec_imports_nothing_of_the_engine() -> None:
    bad = []
    for path in py_files(SIM / "spec"):
        for module, line in imports(path):
            if is_third_party_or_stdlib(module):
                continue
            if not within(module, ("sim.units", "sim.errors", "sim.spec")):
                bad.append(f"{where(path, line)} imports {module}")
    assert bad == [], "sim/spec imports only sim.units, sim.errors, sim.spec:\n" + "\n".join(bad)


def test_engine_never_imports_dashboard_libraries() -> None:
    bad = []
    for path in py_files(SIM):
        if path == SIM / "charts.py":
            continue
        for module, line in imports(path):
            if module.split(".")[0] in DASHBOARD_LIBS:
                bad.append(f"{where(path, line)} imports {module}")
    assert bad == [], "only sim/charts.py may import streamlit, plotly, pandas:\n" + "\n".join(bad)


def test_dashboard_uses_only_the_public_api() -> None:
    allowed = ("sim.charts", "sim.units", "sim.catalog", "sim.errors")
    bad = []
    for path in py_files(DASHBOARD):
        for module, line in imports(path):
            if module.split(".")[0] != "sim" or module == "sim" or within(module, allowed):
                continue
            bad.append(f"{where(path, line)} imports {module}")
    assert bad == [], (
        "dashboard/ imports from sim only sim, " + ", ".join(allowed) + ":\n" + ("\n".join(bad))
    )


def documentation(tree: ast.AST) -> set[int]:
    """The ids of string constants that are documentation: any string used as a statement
    (docstrings of modules, classes and functions, and attribute docstrings)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def code_words(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """The identifiers and non-documentation string literals of a module, with their lines."""
    docs = documentation(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Name):
            yield node.id, line
        elif isinstance(node, ast.Attribute):
            yield node.attr, line
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name, line
        elif isinstance(node, ast.arg | ast.keyword) and node.arg:
            yield node.arg, line
        elif isinstance(node, ast.alias):
            yield f"{node.name} {node.asname or ''}", line
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
        ):
            yield node.value, line


def product_names_in(text: str) -> list[str]:
    # Both as written (`PostgreSQL`) and split at its humps (`HaproxyCheck`).
    humps = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return sorted({m.lower() for t in (text, humps) for m in PRODUCT_RE.findall(t)})


def test_product_names_detector() -> None:
    assert product_names_in("etcd_ttl") == ["etcd"]
    assert product_names_in("HaproxyCheck") == ["haproxy"]
    assert product_names_in("a PostgreSQL timeline") == ["postgresql"]
    assert product_names_in("consultant etcdctl postgresish") == []
    tree = ast.parse('"""Patroni."""\nx = 1  # etcd\ndef f(mysql_lag):\n    return "redis"\n')
    found = sorted((w, n) for w, line in code_words(tree) for n in product_names_in(w))
    assert found == [("mysql_lag", "mysql"), ("redis", "redis")]


def test_no_product_name_in_engine_code() -> None:
    bad = []
    for path in py_files(SIM):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for word, line in code_words(tree):
            for name in product_names_in(word):
                bad.append(f"{where(path, line)}: '{name}' in {word!r}")
    assert bad == [], "no system or product name in sim/ code (DESIGN.md):\n" + "\n".join(
        sorted(set(bad))
    )


def test_no_preset_name_in_engine_code() -> None:
    """Presets are data over the generic families: no file of sim/, docstrings included,
    names one."""
    presets = [p.stem for p in (REPO / "topologies").glob("*.yaml")]
    bad = [
        f"{path.relative_to(REPO)}: {name}"
        for path in py_files(SIM)
        for name in presets
        if name in path.read_text(encoding="utf-8")
    ]
    assert bad == [], "no preset name in sim/ (presets are data):\n" + "\n".join(bad)
