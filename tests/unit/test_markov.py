"""Markov chains against closed forms where one exists."""

from __future__ import annotations

import pytest

from sim.markov import majority_quorum, primary_standby, single_node


def test_a_single_node_is_up_for_mttf_over_the_cycle() -> None:
    # Failures during the (short) restart shift it by a hair.
    a = single_node(86400.0, 3600.0, 60.0).availability()
    assert a == pytest.approx(86400.0 / (86400.0 + 3600.0 + 60.0), rel=1e-3)


def test_a_quorum_with_instant_elections_is_binomial() -> None:
    q = 300.0 / (3600.0 + 300.0)  # each node's unavailability
    a = majority_quorum(3, 3600.0, 300.0, 1e-6, 1e-6).availability()
    assert a == pytest.approx(1.0 - (3 * q**2 * (1 - q) + q**3), rel=1e-6)
    five = majority_quorum(5, 3600.0, 300.0, 1e-6, 1e-6).availability()
    lost = sum(c * q**k * (1 - q) ** (5 - k) for k, c in ((3, 10), (4, 5), (5, 1)))
    assert five == pytest.approx(1.0 - lost, rel=1e-6)


def test_failover_time_costs_what_each_primary_failure_takes() -> None:
    fast = primary_standby(86400.0, 600.0, 1e-6, 1e-6).availability()
    slow = primary_standby(86400.0, 600.0, 30.0, 1e-6).availability()
    # About one primary failure a day, 30 s each.
    assert fast - slow == pytest.approx(30.0 / 86400.0, rel=0.05)


def test_probabilities_sum_to_one() -> None:
    pi = majority_quorum(3, 3600.0, 300.0, 2.0, 60.0).steady_state()
    assert sum(pi.values()) == pytest.approx(1.0)
    assert all(p >= -1e-12 for p in pi.values())
