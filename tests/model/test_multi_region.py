"""Multi-region behaviour that must emerge from the mechanisms: a zone or region lost with its
application servers, per-region RTO, and local quorums that keep each region writing."""

from __future__ import annotations

import math

from conftest import changed, metrics

import sim
from sim.spec.base import Fixed

SEEDS = range(4)


def test_az_power_interruption_brings_half_the_zone_back() -> None:
    """az-loss powers off the primary's zone (database, store member, proxy, client) and
    powers half of it on again 5 minutes later; the zone's application is no witness."""
    topology = sim.load_topology("postgres-patroni-async").spec
    scenario = sim.load_scenario("az-loss").spec
    for seed in SEEDS:
        result = sim.run(topology, scenario, seed)
        h = result.history
        start = next(f for f in h.faults if f.phase == "start")
        assert len(start.targets) == 4
        ups = [e for e in h.events if e.name == "host_up" and e.node in start.targets]
        during = [e for e in ups if e.t < scenario.duration]
        assert len(during) == 2
        assert all(e.t == start.t + 5 * 60 + topology.boot for e in during)
        assert {e.node for e in ups} == set(start.targets)  # the rest at the final heal
        m = result.metrics
        assert "eu-central-1a" not in m["rto_s_by_site"]
        assert m["rto_s_by_region"] == {"eu-central-1": m["rto_s"]}
        assert m["failovers"] == 1 and m["lost_writes"] == 0
        assert 20 < m["rto_s"] < 60


def test_a_single_region_cluster_is_down_for_the_whole_region_loss() -> None:
    topology = sim.load_topology("postgres-patroni-async").spec
    for m in metrics(topology, sim.load_scenario("region-loss").spec, SEEDS):
        assert math.isinf(m["rto_s"])
        assert m["rto_s_by_region"] == {}
        assert m["split_brain"] == [] and m["lost_writes"] == 0


def test_local_quorum_keeps_the_other_region_writing_through_a_region_loss() -> None:
    """LOCAL_QUORUM counts only the coordinator's datacenter: losing eu-central-1 costs the
    surviving region nothing, not one write."""
    topology = sim.load_topology("cassandra-multidc-localquorum").spec
    for m in metrics(topology, sim.load_scenario("region-loss").spec, SEEDS):
        assert m["rto_s_by_region"] == {"us-east-1": 0.0}
        assert m["rto_s"] == 0.0 and m["lost_writes"] == 0


def test_local_quorum_is_lost_by_an_isolated_zone_not_by_its_region() -> None:
    """A zone cut off from its region keeps one of the three local replicas: its clients'
    LOCAL_QUORUM writes fail for the whole cut, while the rest of the region and the other
    region never notice."""
    topology = sim.load_topology("cassandra-multidc-localquorum").spec
    for m in metrics(topology, sim.load_scenario("primary-isolated").spec, SEEDS):
        by_site = m["rto_s_by_site"]
        assert 170 < by_site["eu-central-1a"] < 200
        assert all(v == 0.0 for s, v in by_site.items() if s != "eu-central-1a")
        assert m["rto_s_by_region"]["us-east-1"] == 0.0
        assert m["lost_writes"] == 0


def test_a_cross_region_cut_splits_nothing_but_loses_concurrent_updates() -> None:
    """Each side of the cut keeps its local quorum and keeps writing; when it heals, the
    hot counters both regions incremented meanwhile are resolved by last-writer-wins."""
    topology = sim.load_topology("cassandra-multidc-localquorum").spec
    cut = metrics(topology, sim.load_scenario("region-cut").spec, SEEDS)
    for m in cut:
        assert m["rto_s"] == 0.0 and m["lost_writes"] == 0
        assert m["lost_updates"] > 0


def test_a_node_crash_fails_over_inside_the_main_region_only() -> None:
    """The standby cluster takes no part in the main cluster's failover; it re-points to
    the new primary and keeps streaming."""
    topology = sim.load_topology("postgres-patroni-dr").spec
    scenario = sim.load_scenario("primary-crash").spec
    for seed in SEEDS:
        result = sim.run(topology, scenario, seed)
        promoted = {row.node for row in result.history.lineages if row.parent != -1}
        assert len(promoted) == 1 and promoted <= {"pg2", "pg3"}
        assert 20 < result.metrics["rto_s"] < 60
        assert set(result.metrics["rto_s_by_region"]) == {"eu-central-1", "eu-west-1"}


def test_a_manual_regional_failover_takes_the_runbook_s_time() -> None:
    """Region loss: the page goes out after `detect`, a human decides, the runbook runs, and
    the standby region's clients get their writes back; only they witness it."""
    topology = sim.load_topology("postgres-patroni-dr").spec
    scenario = sim.load_scenario("region-loss").spec
    t_fault = scenario.faults[0].at
    for seed in SEEDS:
        result = sim.run(topology, scenario, seed)
        pages = [e for e in result.history.events if e.name == "failure_detected"]
        assert pages[0].t == t_fault + 180.0 and pages[0].node == "pg-dr1"
        promotions = [row for row in result.history.lineages if row.parent != -1]
        m = result.metrics
        assert set(m["rto_s_by_region"]) <= {"eu-west-1"}
        if promotions:
            assert promotions[0].node in ("pg-dr1", "pg-dr2")
            assert m["rto_s"] > promotions[0].t - t_fault > 180.0
        else:
            assert math.isinf(m["rto_s"])
        assert m["split_brain"] == []


def test_an_automatic_regional_failover_during_a_cut_splits_the_brain() -> None:
    """A monitor in the standby region cannot tell a cut link from a lost region: promoting
    while the main primary still takes writes leaves two primaries until the runbook retires
    the old one, and everything it acknowledged meanwhile is lost."""
    topology = changed(
        sim.load_topology("postgres-patroni-dr").spec,
        standby_cluster__promotion="automatic",
        standby_cluster__detect=60.0,
        standby_cluster__promote=Fixed(fixed="30s"),
    )
    for m in metrics(topology, sim.load_scenario("region-cut").spec, SEEDS):
        assert m["failovers"] == 1 and m["false_failovers"] == 0
        assert m["split_brain"] and m["split_brain_s"] > 60.0
        assert m["divergent_writes"] > 0 and m["lost_writes"] > 0
