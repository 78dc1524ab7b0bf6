"""The built-in catalog of topologies and scenarios, and loading a file by path or by name."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from sim.errors import InputError
from sim.spec import Scenario, Topology
from sim.yamlio import LineMap, load_yaml, register_fields, validate

register_fields(Topology, Scenario)

T = TypeVar("T")


def catalog_root() -> Path:
    """The folder holding `topologies/` and `scenarios/` (HASIM_CATALOG overrides it)."""
    if env := os.environ.get("HASIM_CATALOG"):
        return Path(env)
    return Path(__file__).resolve().parent.parent


def names(kind: str) -> list[str]:
    """Catalog names of one kind (`topologies` or `scenarios`), sorted."""
    return sorted(p.stem for p in (catalog_root() / kind).glob("*.yaml"))


def resolve(kind: str, ref: str | Path) -> Path:
    """A path from a path or a catalog name (a file stem in `topologies/` or `scenarios/`)."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    candidate = catalog_root() / kind / f"{ref}.yaml"
    if candidate.exists():
        return candidate
    known = ", ".join(names(kind)) or "none"
    raise InputError(
        f"no file and no catalog {'topology' if kind == 'topologies' else 'scenario'} "
        f"named '{ref}'",
        file=str(ref),
        fix=f"give a path to a YAML file, or one of: {known}",
    )


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """A validated file with where it came from, for messages that point into it."""

    spec: T
    path: Path
    lines: LineMap
    text: str


def load_topology(ref: str | Path) -> Loaded[Topology]:
    """A topology from a path or catalog name; `InputError` on any fault in it."""
    path = resolve("topologies", ref)
    data, lines = load_yaml(path)
    return Loaded(validate(Topology, data, lines), path, lines, path.read_text(encoding="utf-8"))


def load_scenario(ref: str | Path) -> Loaded[Scenario]:
    """A scenario from a path or catalog name; `InputError` on any fault in it."""
    path = resolve("scenarios", ref)
    data, lines = load_yaml(path)
    return Loaded(validate(Scenario, data, lines), path, lines, path.read_text(encoding="utf-8"))
