"""Pinned runs: one seed of every catalog pair (every topology against every scenario it can
run: the catalog's smoke test as well), compared with its golden file (metrics and
history digest). A change to the model that moves them must be deliberate: refresh with
`pytest tests/regression --update-golden` and say why in the commit.

The pairs are split over two test files, single incidents and year-long runs, so that a
parallel run (`pytest -n 2 --dist loadfile`) gives them to different workers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

import sim
from sim.errors import InputError

GOLDEN = Path(__file__).parent / "golden"


def pairs(year_long: bool) -> list[tuple[str, str]]:
    """Every (topology, scenario) of the catalog whose scenario recurs over a long run
    (failure profiles, maintenance) or not."""
    scenarios = [
        s for s in sim.names("scenarios") if sim.load_scenario(s).spec.recurring == year_long
    ]
    return [(t, s) for t in sim.names("topologies") for s in scenarios]


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        return "inf" if math.isinf(value) else round(value, 6)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    return value


def check_golden(topology: str, scenario: str, request: pytest.FixtureRequest) -> None:
    try:
        result = sim.run(sim.load_topology(topology).spec, sim.load_scenario(scenario).spec, 1)
    except InputError:
        pytest.skip("this scenario needs what the topology lacks")
    m = result.metrics
    # The smoke checks of every catalog pair, which this one run per pair also serves.
    assert m["rto_s"] >= 0 and not math.isnan(m["rto_s"])
    assert m["lost_writes"] >= 0 and m["failovers"] >= 0
    assert len(result.history.ops) > 1000
    assert result.history.final is not None
    observed = {
        "metrics": _plain(result.metrics),
        "history_digest": result.history.digest(),
    }
    path = GOLDEN / f"{topology}__{scenario}.json"
    if request.config.getoption("--update-golden") or not path.exists():
        path.write_text(json.dumps(observed, indent=1, sort_keys=True) + "\n")
        if not request.config.getoption("--update-golden"):
            pytest.fail(f"{path.name} was missing and has been written: commit it")
    expected = json.loads(path.read_text())
    assert observed["metrics"] == expected["metrics"]
    assert observed["history_digest"] == expected["history_digest"]
