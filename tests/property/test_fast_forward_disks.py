"""Fast-forward stays exact with disks that fail (the database comes back empty and
re-clones for as long as its size takes) and with planned maintenance reboots: over six
hours of both on a Patroni and a Raft preset, every window records the same rows whether
the quiet time was skipped or simulated."""

from __future__ import annotations

import pytest
from ff_windows import SAME_METRICS, both, window_mismatches

import sim
from sim.spec import Scenario
from sim.yamlio import parse_yaml, validate

DISKS_AND_PATCHING = """
name: ff-disks
description: disks fail and are replaced; every db host is rebooted every 4 hours
duration: 6h
settle: 3m
failures:
  - component: disk
    ttf: {mean: 6h}
    ttr: {median: 30m, p99: 2h}
maintenance:
  - {every: 4h, start: 1h, duration: 5m, stagger: 20m}
"""


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["postgres-patroni-async", "etcd-raft-3"])
def test_windows_match_with_disk_loss_and_maintenance(preset: str) -> None:
    topology = sim.load_topology(preset).spec
    scenario = validate(Scenario, *parse_yaml(DISKS_AND_PATCHING, "ff-disks.yaml"))
    fast, full = both(topology, scenario, 0)
    assert not window_mismatches(fast.history, full.history)
    names = [e.name for e in fast.history.events]
    assert "disk_lost" in names and "reclone_done" in names
    assert fast.history.meta["skipped"]
    for key in SAME_METRICS:
        assert fast.metrics[key] == pytest.approx(full.metrics[key], abs=1e-6), key
    # Far fewer events: the quiet time between windows was skipped.
    assert fast.events * 10 < full.events
