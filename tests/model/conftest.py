"""Helpers for the tests that check what the model must show over many seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sim
from sim.catalog import catalog_root
from sim.spec import Scenario, Topology
from sim.yamlio import parse_yaml, validate

# Two processes even under pytest-xdist: when the other test worker has finished its files,
# the heaviest file still uses both cores.
WORKERS = 2


def changed(model: Any, **updates: Any) -> Any:
    """`model` with nested fields replaced: `changed(t, failover__ttl=60.0)`. Values are in
    internal units (seconds, bytes)."""
    for path, value in updates.items():
        model = _set(model, path.split("__"), value)
    return model


def _set(model: Any, parts: list[str], value: Any) -> Any:
    head, rest = parts[0], parts[1:]
    new = value if not rest else _set(getattr(model, head), rest, value)
    return model.model_copy(update={head: new})


def topology_text(name: str) -> str:
    return (catalog_root() / "topologies" / f"{name}.yaml").read_text()


def topology_from_text(text: str, name: str = "test.yaml") -> Topology:
    data, lines = parse_yaml(text, name)
    return validate(Topology, data, lines)


def scenario_from_text(text: str, name: str = "test.yaml") -> Scenario:
    data, lines = parse_yaml(text, name)
    return validate(Scenario, data, lines)


def metrics(topology: Topology, scenario: Scenario, seeds: range) -> list[dict[str, Any]]:
    return [r.metrics for r in sim.run_seeds(topology, scenario, seeds, workers=WORKERS)]


def new_primary_s(m: dict[str, Any]) -> float:
    """Fault to a new primary accepting writes: the breakdown's stages before routing."""
    return m["detection_s"] + m["election_s"] + m["fencing_s"] + m["promotion_s"]


@pytest.fixture(scope="session")
def catalog() -> Path:
    return catalog_root()
