"""Every catalog file loads and carries its explanations; every topology that cannot run a
scenario says why. (tests/regression runs every pair that can, as Mesa runs every example.)"""

from __future__ import annotations

import re

import pytest

import sim
from sim.catalog import catalog_root
from sim.errors import InputError

TOPOLOGIES = sim.names("topologies")
SCENARIOS = sim.names("scenarios")
SETTINGS = (
    "database",
    "replication",
    "failover",
    "routing",
    "workload",
    "network",
    "boot",
    "backups",
    "cost",
)


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
    for name in ("primary-isolated", "az-loss", "region-loss", "region-cut", "gray-latency"):
        assert name in SCENARIOS


@pytest.mark.parametrize("name", TOPOLOGIES)
def test_presets_follow_their_documented_rules(name: str) -> None:
    topology = sim.load_topology(name).spec
    assert topology.name == name
    assert topology.warnings == []
    # Every result carries a monthly cost: every catalog file has prices.
    assert topology.cost is not None, f"{name}.yaml has no `cost:`"
    if topology.notes is None:
        # Not a preset of the atlas: a backup policy compared on one base cluster, which
        # says in its header where its figures come from.
        assert topology.backups is not None, f"{name}.yaml has neither `notes:` nor `backups:`"
        header = (catalog_root() / "topologies" / f"{name}.yaml").read_text().split("\nname:")[0]
        assert "documentation" in header and "User Guide" in header
        return
    # Every preset says where its values come from and what it leaves out.
    assert all(source.strip() for source in topology.notes.sources)


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


STORELESS_PAIRS = [
    (t, s)
    for t in TOPOLOGIES
    if sim.load_topology(t).spec.failover.family != "lease"
    for s in SCENARIOS
    if _needs_store(sim.load_scenario(s).spec)
]


def test_some_pairs_need_a_store_they_lack() -> None:
    assert ("etcd-raft-3", "dcs-quorum-loss") in STORELESS_PAIRS


@pytest.mark.parametrize(("topology_name", "scenario_name"), STORELESS_PAIRS)
def test_store_faults_need_a_store(topology_name: str, scenario_name: str) -> None:
    """A scenario aimed at the consensus store is refused, with its reason, by a topology
    without one. (Every pair that can run is run, once, by tests/regression: its golden run
    checks the metrics' sanity too.)"""
    topology = sim.load_topology(topology_name).spec
    scenario = sim.load_scenario(scenario_name).spec
    with pytest.raises(InputError, match="consensus store"):
        sim.run(topology, scenario, 1)


BACKUP_SCENARIOS = [s for s in SCENARIOS if "backups" in sim.load_scenario(s).spec.requires]
BACKUP_TOPOLOGIES = [t for t in TOPOLOGIES if sim.load_topology(t).spec.backups is not None]


def test_the_catalog_compares_backup_policies() -> None:
    assert set(BACKUP_SCENARIOS) == {
        "drop-table",
        "cluster-loss",
        "region-loss-with-backups",
        "backup-store-outage",
    }
    assert len(BACKUP_TOPOLOGIES) == 5
    # The presets of the atlas carry no backup policy: their figures stay as they were.
    assert all(sim.load_topology(t).spec.notes is None for t in BACKUP_TOPOLOGIES)


@pytest.mark.parametrize("scenario_name", BACKUP_SCENARIOS)
def test_backup_scenarios_need_a_backup_policy(scenario_name: str) -> None:
    """A scenario that exercises a restore is refused, with its reason, by a topology that
    has nothing to restore from; every policy of the catalog runs it (tests/regression)."""
    topology = sim.load_topology("postgres-manual").spec
    scenario = sim.load_scenario(scenario_name).spec
    with pytest.raises(InputError, match="backup"):
        sim.run(topology, scenario, 1)
