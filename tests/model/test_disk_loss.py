"""A lost disk: the host is out until the disk is replaced, and its database comes back with
nothing on it. It cannot rewind (there is nothing to rewind), so it re-clones from the
primary, which takes the data size over the clone rate, before it streams again; a primary
that loses its disk is failed over from like a crashed one."""

from __future__ import annotations

import pytest
from conftest import scenario_from_text

import sim
from sim.runner import run


def _disk_lost(target: str) -> str:
    return f"""
name: disk-lost
description: a db host's disk dies; it is replaced after 20 minutes
duration: 2h
settle: 3m
faults:
  - {{kind: crash-host, at: 2m, target: {target}, restart_after: 20m, lose_disk: true}}
"""


@pytest.mark.parametrize(
    ("preset", "target"),
    [
        ("postgres-patroni-async", "replica"),
        ("postgres-patroni-async", "primary"),
        ("etcd-raft-3", "primary"),
        ("redis-sentinel", "primary"),
        ("postgres-manual", "primary"),
    ],
)
def test_the_node_re_clones_for_its_data_size_then_streams(preset: str, target: str) -> None:
    topology = sim.load_topology(preset).spec
    result = run(topology, scenario_from_text(_disk_lost(target)), 1)
    events = result.history.events
    lost = next(e for e in events if e.name == "disk_lost")
    node = lost.node
    up = next(e.t for e in events if e.name == "host_up" and e.node == node)
    assert up == pytest.approx(120.0 + 1200.0 + topology.boot)
    mine = [e for e in events if e.node == node and e.t > up]
    assert "rewind_done" not in [e.name for e in mine]
    cloned = next(e for e in mine if e.name == "reclone_done")
    clone_s = topology.database.size / topology.database.clone_rate
    # The re-clone starts once the host is up and its agent has found the primary, or, with
    # manual failover, once the on-call engineer gets to the rebuild.
    slack = 3600.0 if topology.failover.family == "manual" else 60.0
    assert up + clone_s <= cloned.t <= up + clone_s + slack
    after = [e.name for e in mine if e.t >= cloned.t]
    assert "streaming" in after
    m = result.metrics
    if target == "primary":
        assert m["failovers"] == 1
        assert 0.0 < m["rto_s"] < 1200.0
    else:
        assert m["failovers"] == 0 and m["rto_s"] == 0.0


def test_when_every_disk_is_lost_at_once_the_data_is_gone() -> None:
    # No node holds the data to clone from: the cluster never takes a write again, and every
    # acknowledged write is lost (only a restore from backups would bring them back).
    topology = sim.load_topology("postgres-manual").spec
    m = run(topology, scenario_from_text(_disk_lost("all")), 2).metrics
    assert m["lost_writes"] > 0
    assert m["rto_s"] == float("inf")
