"""hasim: a discrete-event simulator of database high-availability topologies.

The public API: load a topology and a scenario (by path or catalog name), run one seed or
many, and read the metrics the checkers compute from each run's history. Names load on first
use, so that `import sim` (the CLI's first step) does not pay for the engine it may not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.catalog import load_scenario, load_topology, names
    from sim.errors import InputError
    from sim.results import ResultsStore
    from sim.runner import RunResult, run
    from sim.spec import Scenario, Topology
    from sim.sweep import SeedResult, run_seeds

_WHERE = {
    "InputError": "sim.errors",
    "RunResult": "sim.runner",
    "ResultsStore": "sim.results",
    "run": "sim.runner",
    "Scenario": "sim.spec",
    "Topology": "sim.spec",
    "SeedResult": "sim.sweep",
    "run_seeds": "sim.sweep",
    "load_scenario": "sim.catalog",
    "load_topology": "sim.catalog",
    "names": "sim.catalog",
}
__all__ = [
    "InputError",
    "ResultsStore",
    "RunResult",
    "Scenario",
    "SeedResult",
    "Topology",
    "load_scenario",
    "load_topology",
    "names",
    "run",
    "run_seeds",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
