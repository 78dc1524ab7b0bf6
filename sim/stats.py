"""Distributions over seeds: percentiles with exact distribution-free intervals, means with
bootstrap intervals, and paired differences between variants run on the same seeds.

Why order statistics for percentiles: RTOs are skewed and some runs are censored (`inf`); the
interval [x(l), x(u)] of the sorted sample covers the true q-quantile with probability at
least the confidence whatever the distribution, and an `inf` in the sample simply makes an
end unbounded. With too few runs for a tail percentile, the upper end is `inf`: the data
cannot bound it, and the report says so rather than inventing a figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, bootstrap

PERCENTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}
# Bootstrap resamples are drawn from a fixed seed: the same runs give the same intervals.
_BOOTSTRAP_SEED = 20261124


@dataclass(frozen=True)
class Estimate:
    """A point estimate and its confidence interval (`low`, `high`); `inf` is unbounded."""

    value: float
    low: float
    high: float


def quantile(values: Sequence[float], q: float, confidence: float = 0.95) -> Estimate:
    """The q-quantile (an observed value) and its exact order-statistic interval."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan)
    point = float(x[min(n - 1, max(0, math.ceil(q * n) - 1))])
    alpha = 1.0 - confidence
    # P(x(l) <= Q_q < x(u)) = P(l <= B < u) with B ~ Binomial(n, q), ranks 1-based.
    lo_rank = int(binom.ppf(alpha / 2, n, q))
    hi_rank = int(binom.ppf(1 - alpha / 2, n, q)) + 1
    low = float(x[lo_rank - 1]) if lo_rank >= 1 else -math.inf
    high = float(x[hi_rank - 1]) if hi_rank <= n else math.inf
    return Estimate(point, low, high)


def mean(values: Sequence[float], confidence: float = 0.95) -> Estimate:
    """The mean and its BCa bootstrap interval (fixed resampling seed)."""
    x = np.asarray(values, dtype=float)
    if len(x) == 0:
        return Estimate(math.nan, math.nan, math.nan)
    m = float(np.mean(x))
    if not np.all(np.isfinite(x)):
        return Estimate(m, m, m)  # a censored run makes the mean infinite
    if len(x) < 2 or np.ptp(x) == 0.0:
        return Estimate(m, m, m)
    res = bootstrap(
        (x,),
        np.mean,
        confidence_level=confidence,
        method="BCa",
        n_resamples=2000,
        rng=np.random.default_rng(_BOOTSTRAP_SEED),
    )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (math.isfinite(low) and math.isfinite(high)):
        # BCa degenerates on a nearly constant sample; the percentile interval does not.
        res = bootstrap(
            (x,),
            np.mean,
            confidence_level=confidence,
            method="percentile",
            n_resamples=2000,
            rng=np.random.default_rng(_BOOTSTRAP_SEED),
        )
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return Estimate(m, low, high)


def describe(values: Sequence[float], confidence: float = 0.95) -> dict[str, Estimate]:
    """mean, p50, p90, p99 with intervals, and the max (its interval is the max itself)."""
    out = {"mean": mean(values, confidence)}
    for name, q in PERCENTILES.items():
        out[name] = quantile(values, q, confidence)
    top = float(np.max(values)) if len(values) else math.nan
    out["max"] = Estimate(top, top, top)
    return out


def paired_difference(
    a: Sequence[float], b: Sequence[float], confidence: float = 0.95
) -> tuple[Estimate, int]:
    """Mean of b - a over the seeds where both are finite, with its bootstrap interval, and
    how many pairs that was. The same seeds give both variants the same random draws
    (common random numbers), so the difference carries far less noise than two means."""
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if math.isfinite(x) and math.isfinite(y)]
    return mean([y - x for x, y in pairs], confidence), len(pairs)
