"""Every catalog file loads, carries its explanations, and every topology runs every scenario
it can (one smoke run each, as Mesa runs every example)."""

from __future__ import annotations

import math
import re

import pytest

import sim
from sim.catalog import catalog_root
from sim.errors import InputError

TOPOLOGIES = sim.names("topologies")
SCENARIOS = sim.names("scenarios")
SETTINGS = ("database", "replication", "failover", "routing", "workload", "network", "boot")


def _needs_store(scenario: sim.Scenario) -> bool:
    """A fault aimed at the store itself (in a partition group, a missing store is an empty
    side)."""
    targets = [getattr(f, "target", "") for f in scenario.faults]
    return any(t.removeprefix("zone-of:") in ("dcs", "dcs-leader") for t in targets)


def test_the_catalog_has_the_presets_and_scenarios_of_the_engine() -> None:
    for name in ("postgres-patroni-async", "postgres-patroni-sync", "postgres-manual"):
        assert name in TOPOLOGIES
    for name in ("primary-crash", "dcs-member-crash"):
        assert name in SCENARIOS


@pytest.mark.parametrize("name", TOPOLOGIES)
def test_presets_follow_their_documented_rules(name: str) -> None:
    topology = sim.load_topology(name).spec
    assert topology.name == name
    assert topology.warnings == []


@pytest.mark.parametrize("name", TOPOLOGIES)
def test_every_setting_says_what_it_means(name: str) -> None:
    """Each scalar setting line of a preset carries a comment (its meaning, its source)."""
    text = (catalog_root() / "topologies" / f"{name}.yaml").read_text()
    section = None
    missing = []
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"^[a-z_]+:", line):
            section = line.split(":")[0]
            if section == "boot" and "#" not in line:
                missing.append(number)
            continue
        scalar = re.match(r"^\s+[a-z_0-9]+:\s*[^\s{\[#]", line)
        if section in SETTINGS and scalar and "#" not in line:
            missing.append(number)
    assert not missing, f"{name}.yaml: lines without a comment: {missing}"


@pytest.mark.parametrize("scenario_name", SCENARIOS)
@pytest.mark.parametrize("topology_name", TOPOLOGIES)
def test_every_topology_runs_every_scenario(topology_name: str, scenario_name: str) -> None:
    topology = sim.load_topology(topology_name).spec
    scenario = sim.load_scenario(scenario_name).spec
    if _needs_store(scenario) and topology.failover.family != "lease":
        with pytest.raises(InputError, match="consensus store"):
            sim.run(topology, scenario, 1)
        return
    result = sim.run(topology, scenario, 1)
    m = result.metrics
    assert m["rto_s"] >= 0 and not math.isnan(m["rto_s"])
    assert m["lost_writes"] >= 0 and m["failovers"] >= 0
    assert len(result.history.ops) > 1000
    assert result.history.final is not None
