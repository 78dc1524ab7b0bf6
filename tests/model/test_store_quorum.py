"""Losing the consensus store's quorum demotes a healthy primary (it cannot tell a store
outage from its own isolation) unless failsafe mode finds every other member reachable."""

from __future__ import annotations

import math

import pytest
from conftest import changed, metrics

import sim

pytestmark = pytest.mark.slow


def test_quorum_loss_demotes_the_primary_unless_failsafe() -> None:
    topology = sim.load_topology("postgres-patroni-async").spec
    scenario = sim.load_scenario("dcs-quorum-loss").spec
    fault = scenario.faults[0]
    assert fault.restart_after is not None
    back = fault.restart_after + topology.boot  # the members' hosts reboot

    demoted = metrics(topology, scenario, range(10))
    for m in demoted:
        assert not math.isinf(m["rto_s"])
        assert back <= m["rto_s"] <= back + 30.0
        assert m["failovers"] == 0 and m["lost_writes"] == 0

    failsafe = metrics(changed(topology, failover__failsafe_mode=True), scenario, range(10))
    assert [m["rto_s"] for m in failsafe] == [0.0] * 10


def test_one_member_down_changes_nothing() -> None:
    topology = sim.load_topology("postgres-patroni-async").spec
    runs = metrics(topology, sim.load_scenario("dcs-member-crash").spec, range(20))
    assert [m["rto_s"] for m in runs] == [0.0] * 20
    assert [m["failovers"] for m in runs] == [0] * 20
