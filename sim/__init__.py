"""hasim: a discrete-event simulator of database high-availability topologies.

The public API: load a topology and a scenario (by path or catalog name), run one seed or
many, and read the metrics the checkers compute from each run's history.
"""

from sim.catalog import load_scenario, load_topology, names
from sim.errors import InputError
from sim.run import RunResult, run
from sim.spec import Scenario, Topology
from sim.sweep import SeedResult, run_seeds

__all__ = [
    "InputError",
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
