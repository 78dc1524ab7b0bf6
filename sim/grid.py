"""A parameter grid over a topology and a scenario: `--param failover.ttl=20s,30s` names a field
by its dotted path in the file (a leading `scenario.` for the scenario's fields) and the values
to try, written as in the file. Each combination is validated like a file, so a bad value gets
the same message naming the field and the fix."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import yaml

from sim.catalog import Loaded
from sim.errors import InputError
from sim.spec import Scenario, Topology
from sim.yamlio import parse_yaml, validate


@dataclass(frozen=True)
class Param:
    """One swept field and the values to try, as written in a file."""

    target: str  # "topology" or "scenario"
    path: tuple[str | int, ...]
    values: tuple[str, ...]

    @property
    def key(self) -> str:
        prefix = "scenario." if self.target == "scenario" else ""
        return prefix + ".".join(map(str, self.path))


@dataclass(frozen=True)
class Variant:
    """One point of the grid: its settings and the files they give."""

    settings: tuple[tuple[str, str], ...]
    topology: Topology
    scenario: Scenario

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.settings) or "as in the files"


def parse_param(text: str) -> Param:
    """`key=v1,v2,...` into a Param; `InputError` when it is not of that shape."""
    key, sep, values = text.partition("=")
    items = tuple(v.strip() for v in values.split(",")) if sep else ()
    if not key.strip() or not items or not all(items):
        raise InputError(
            f"'{text}' is not a parameter sweep",
            field="--param",
            fix="write KEY=V1,V2,... with the field's dotted path, e.g. failover.ttl=20s,30s",
        )
    target = "topology"
    parts = key.strip().split(".")
    if parts[0] == "scenario":
        target, parts = "scenario", parts[1:]
    elif parts[0] == "topology":
        parts = parts[1:]
    path = tuple(int(p) if p.isdigit() else p for p in parts)
    return Param(target, path, items)


def _set(data: Any, path: tuple[str | int, ...], value: Any, param: Param) -> None:
    node = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        # A mapping may gain a field at the end of the path (an optional one left out).
        in_map = isinstance(node, dict) and isinstance(part, str) and (last or part in node)
        if not (in_list or in_map):
            where = ".".join(map(str, path[: i + 1]))
            raise InputError(
                f"the {param.target} has no field '{where}'",
                field="--param",
                fix="name a field by its dotted path as in the file, list items by index "
                "(e.g. workload.clients.0.writes); see `hasim schema`",
            )
        if last:
            node[part] = value
        else:
            node = node[part]


def variants(
    topology: Loaded[Topology], scenario: Loaded[Scenario], params: list[Param]
) -> list[Variant]:
    """Every combination of the params' values, in the order given (the first param varies
    slowest); the files as they are when there is none."""
    keys = [p.key for p in params]
    if len(set(keys)) != len(keys):
        raise InputError("a field is swept twice", field="--param", fix="give each key once")
    out = []
    for combo in itertools.product(*(p.values for p in params)):
        files = {"topology": topology, "scenario": scenario}
        data = {name: parse_yaml(f.text, str(f.path)) for name, f in files.items()}
        for param, raw in zip(params, combo, strict=True):
            _set(data[param.target][0], param.path, yaml.safe_load(raw), param)
        settings = tuple((p.key, v) for p, v in zip(params, combo, strict=True))
        try:
            t = validate(Topology, *data["topology"])
            s = validate(Scenario, *data["scenario"])
        except InputError as exc:
            # The file's line would point at a value the file does not hold: name the sweep.
            given = " ".join(f"--param {k}={v}" for k, v in settings)
            raise InputError(
                f"{exc.problem} (with {given})", file=exc.file, field=exc.field, fix=exc.fix
            ) from None
        out.append(Variant(settings, t, s))
    return out
