"""Distributions over seeds: exact percentile intervals, bootstrap means, paired differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.stats import describe, mean, paired_difference, quantile


def test_percentile_intervals_are_order_statistics_that_cover() -> None:
    values = list(range(1, 101))  # 1..100
    est = quantile(values, 0.5)
    assert est.value == 50.0
    # Binomial(100, 0.5): ranks 40 and 61 bound the median at >= 95 %.
    assert (est.low, est.high) == (40.0, 61.0)


def test_a_percentile_the_runs_cannot_bound_is_unbounded() -> None:
    est = quantile(list(range(20)), 0.99)
    assert est.value == 19.0 and math.isinf(est.high)


def test_censored_runs_stay_in_the_percentiles() -> None:
    values = [10.0] * 90 + [math.inf] * 10
    assert quantile(values, 0.5).value == 10.0
    assert math.isinf(quantile(values, 0.99).value)
    assert math.isinf(describe(values)["mean"].value)


def test_percentile_intervals_cover_at_least_their_confidence() -> None:
    # Exponential samples of 60: the true median (ln 2) falls inside in >= 95 % of 400 draws.
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(400):
        est = quantile(list(rng.exponential(1.0, 60)), 0.5)
        hits += est.low <= math.log(2) <= est.high
    assert hits >= 0.93 * 400


def test_the_bootstrap_mean_is_deterministic_and_sane() -> None:
    values = list(np.random.default_rng(3).normal(30.0, 2.0, 200))
    a, b = mean(values), mean(values)
    assert a == b
    assert a.low < 30.0 < a.high and a.high - a.low < 1.0
    assert mean([5.0] * 10) == mean([5.0] * 10)
    assert (mean([5.0] * 10).low, mean([5.0] * 10).high) == (5.0, 5.0)


def test_paired_difference_ignores_censored_pairs() -> None:
    est, pairs = paired_difference([1.0, 2.0, math.inf, 4.0], [2.0, 3.0, 5.0, 5.0])
    assert pairs == 3 and est.value == pytest.approx(1.0)
    assert (est.low, est.high) == (1.0, 1.0)
