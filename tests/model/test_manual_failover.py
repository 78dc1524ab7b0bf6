"""Failover by an on-call human: the recovery time is the page, the response and the runbook;
the machines' share is minutes smaller."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import changed, metrics, scenario_from_text

import sim

pytestmark = pytest.mark.slow

HOST_LOST = """
name: primary-host-lost
description: the primary's host dies for good; watch for two hours
duration: 2h
settle: 5m
faults:
  - {kind: crash-host, at: 2m, target: primary}
"""


def test_manual_rto_is_dominated_by_the_human_response() -> None:
    base = sim.load_topology("postgres-manual").spec
    # One probe client is enough to time the recovery, and keeps two-hour runs cheap.
    topology = changed(base, workload__clients=base.workload.clients[:1])
    runs = metrics(topology, scenario_from_text(HOST_LOST), range(40))
    recovered = [m for m in runs if not math.isinf(m["rto_s"])]
    assert len(recovered) >= 36
    spec = topology.failover
    shares = []
    for m in recovered:
        human = m["election_s"] + m["promotion_s"]  # page to decision, then the runbook
        machine = [m["detection_s"], m["fencing_s"], m["routing_s"], m["client_s"]]
        assert m["detection_s"] == pytest.approx(spec.alert_delay, abs=1.0)
        assert human > max(machine), m
        shares.append(human / m["rto_s"])
    assert np.median(shares) >= 0.8
    rto = np.median([m["rto_s"] for m in recovered])
    median_human = spec.alert_delay + spec.response.median + spec.promotion.median
    # The medians of the parts add up to about the median of the whole (log-normal parts
    # skew it upward a little); DNS adds at most its TTL.
    assert 0.8 * median_human <= rto <= 1.4 * median_human + topology.routing.ttl, rto
    patroni = sim.load_topology("postgres-patroni-async").spec
    auto = metrics(patroni, sim.load_scenario("primary-crash").spec, range(20))
    assert rto > 10 * np.median([m["rto_s"] for m in auto])
