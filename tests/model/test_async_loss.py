"""Asynchronous replication loses what the standby had not received when the primary died:
the probes lost match the probe rate times the loss window read from the recorded positions,
and that window comes from bursts outrunning the link, not from a constant."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import changed, metrics

import sim
from sim.cluster.build import write_schedule
from sim.rng import Streams
from sim.wal import FluidQueue, PrimaryLog

SEEDS = range(200)
pytestmark = pytest.mark.slow


def _bursty_async() -> sim.Topology:
    # Bursts every 2 minutes instead of 20, so that enough crashes land in a backlog; and no
    # lag limit on candidates, so that the failover always happens and shows the loss.
    base = sim.load_topology("postgres-patroni-async").spec
    assert base.workload.bursts is not None
    return changed(
        base,
        workload__bursts__every=120.0,
        failover__maximum_lag_on_failover=2**50,
    )


def _backlog_at(topology: sim.Topology, seed: int, t: float, horizon: float) -> float:
    """Bytes the primary had written but not shipped at `t`, from the write schedule alone."""
    schedule = write_schedule(topology.workload, horizon, Streams(seed)("bursts"))
    log = PrimaryLog(schedule, 1, 0.0, 0.0)
    log.set_growing(0.0, True)
    shipped = FluidQueue(log, topology.network.cross_zone.bandwidth, 0.0, 0.0)
    return log.value(t) - shipped.value(t)


@pytest.fixture(scope="module")
def runs() -> list[dict[str, Any]]:
    return metrics(_bursty_async(), sim.load_scenario("primary-crash").spec, SEEDS)


def test_lost_probes_match_the_loss_window_from_positions(runs: list[dict[str, Any]]) -> None:
    topology = _bursty_async()
    lost = np.array([m["lost_writes"] for m in runs], dtype=float)
    window = np.array([m["loss_window_s"] for m in runs])
    probe_rate = sum(c.writes for c in topology.workload.clients)
    expected = probe_rate * window

    assert (lost > 0).sum() >= 10, "too few crashes lost data to test anything"
    # Probes are a periodic sample of the bulk stream: per seed the count is within a few
    # probes of rate x window, so the means agree to a fraction of a percent plus noise.
    assert abs(lost.mean() - expected.mean()) <= 0.02 * expected.mean() + 1.0
    per_seed_error = np.abs(lost - expected)
    assert per_seed_error.max() <= 2 * len(topology.workload.clients) + 0.02 * expected.max()


def test_the_loss_window_comes_from_bursts_beyond_the_link(runs: list[dict[str, Any]]) -> None:
    topology = _bursty_async()
    scenario = sim.load_scenario("primary-crash").spec
    t_fault = scenario.faults[0].at
    horizon = scenario.duration + scenario.settle
    windows = [m["loss_window_s"] for m in runs]
    # Not a constant: many distinct windows, from milliseconds to tens of seconds.
    positive = sorted(w for w in windows if w > 0)
    assert len({round(w, 1) for w in positive}) >= 8
    assert positive[-1] > 10 * positive[0]
    for seed, window in zip(SEEDS, windows, strict=True):
        backlog = _backlog_at(topology, seed, t_fault, horizon)
        if backlog <= 0:
            assert window == 0.0, f"seed {seed}: a loss without a backlog"
        elif backlog > 64 * 1024**2:
            assert window > 0.0, f"seed {seed}: a {backlog:.0f}-byte backlog lost nothing"
