"""A primary watched by observers that is cut off from the majority of the voters steps down on
its own after `self_fence_after` (a cluster manager that lost quorum, Fast-Start Failover's
primary shutdown, a cluster node in its failed state): split brain shrinks from the whole
partition to the race between that timer and the failover, and the writes it acknowledged
alone before stepping down are the only ones lost."""

from __future__ import annotations

import pytest
from conftest import changed, metrics, scenario_from_text

import sim

pytestmark = pytest.mark.slow

FENCING = [
    "sqlserver-ag-sync",
    "oracle-dataguard-maxavailability",
    "oracle-dataguard-maxperformance",
    "redis-cluster",
]
SEEDS = range(3)
CUT_AT, CUT_FOR = 120.0, 180.0

# Only the observer's zone goes away: the primary still reaches its standby, a majority.
OBSERVER_CUT = """
name: observer-cut
description: the observer's zone is cut off from the others for 3 minutes
duration: 10m
settle: 3m
faults:
  - {kind: isolate, at: 2m, duration: 3m, target: "zone-of:observer1"}
"""


@pytest.mark.parametrize("name", FENCING)
def test_an_isolated_primary_steps_down_after_self_fence_after(name: str) -> None:
    topology = sim.load_topology(name).spec
    after = topology.failover.self_fence_after  # type: ignore[union-attr]
    assert after is not None
    old = topology.database.initial_primary
    scenario = sim.load_scenario("primary-isolated").spec
    for seed in SEEDS:
        result = sim.run(topology, scenario, seed)
        h = result.history
        fences = [e for e in h.events if e.name == "self_fence"]
        assert [(e.node, e.t) for e in fences] == [(old, pytest.approx(CUT_AT + after))]
        fenced_at = fences[0].t
        # Nothing is acknowledged on the old primary once it has stepped down (the answer to
        # a write committed just before needs at most a zone's round trip to arrive).
        late = [
            op
            for op in h.ops
            if op.node == old
            and op.f == "write"
            and op.outcome == "ok"
            and op.t_complete > fenced_at + 0.01
            and op.t_invoke < CUT_AT + CUT_FOR
        ]
        assert late == [], (seed, late[:3])
        # Once the partition heals, an observer makes it a replica of the new primary.
        last_role = [r.role for r in h.roles if r.node == old][-1]
        assert last_role == "replica", (seed, last_role)
        assert result.metrics["split_brain_s"] <= 1.0, (seed, result.metrics["split_brain_s"])


def test_without_self_fencing_the_isolated_primary_writes_until_the_partition_heals() -> None:
    topology = sim.load_topology("sqlserver-ag-sync").spec
    scenario = sim.load_scenario("primary-isolated").spec
    fenced = metrics(topology, scenario, SEEDS)
    unfenced = metrics(changed(topology, failover__self_fence_after=None), scenario, SEEDS)
    for on, off in zip(fenced, unfenced, strict=True):
        # The new primary opens about 25 s into the cut; without the fence the old one
        # acknowledges its zone's writes for the remaining 2.5 minutes.
        assert off["split_brain_s"] > 120.0
        assert off["lost_writes"] > 10 * on["lost_writes"] > 0


def test_a_primary_that_keeps_a_majority_does_not_step_down() -> None:
    topology = sim.load_topology("oracle-dataguard-maxavailability").spec
    scenario = scenario_from_text(OBSERVER_CUT)
    for seed in SEEDS:
        result = sim.run(topology, scenario, seed)
        assert not [e for e in result.history.events if e.name == "self_fence"], seed
        assert result.metrics["lost_writes"] == 0
        assert result.metrics["failovers"] == 0
