"""Whether an RTO / RPO target holds in a given fraction of incidents, with confidence.

Each run is one incident and one Bernoulli trial: it meets the target when it recovered
(`rto_s` finite) within the RTO and lost at most the RPO. Over `n` runs with `k` hits the
exact (Clopper-Pearson) one-sided bounds on the hit probability decide:

- `holds` when the lower bound is at least the fraction: the target holds with that
  confidence;
- `fails` when the upper bound is below it: it does not;
- `undecided` otherwise, with the number of further runs that would show it holds if every
  one of them met the target (with no misses, 59 runs show 0.95 at 95 % confidence and 299
  show 0.99).

A censored run (no recovery before the window closed) counts as a miss: it did not meet the
RTO in the time it was watched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from scipy.stats import binomtest

Verdict = Literal["holds", "fails", "undecided"]
# The exit codes of `hasim validate` (2 is bad input).
EXIT_CODES: dict[Verdict, int] = {"holds": 0, "fails": 1, "undecided": 3}


@dataclass(frozen=True)
class Target:
    """An RTO and optional RPO, and the share of incidents that must meet them."""

    rto_s: float
    rpo_s: float | None = None
    fraction: float = 0.99
    confidence: float = 0.95


def miss_reasons(target: Target, metrics: Mapping[str, Any]) -> list[str]:
    """Why one run misses the target (empty when it meets it)."""
    reasons = []
    rto = float(metrics["rto_s"])
    if math.isinf(rto):
        reasons.append("censored")
    elif rto > target.rto_s:
        reasons.append("rto")
    if target.rpo_s is not None and float(metrics["rpo_s"]) > target.rpo_s:
        reasons.append("rpo")
    return reasons


def bounds(hits: int, runs: int, confidence: float) -> tuple[float, float]:
    """The exact one-sided lower and upper bounds on the hit probability, each at
    `confidence`."""
    if runs == 0:
        return 0.0, 1.0
    low = binomtest(hits, runs, alternative="greater").proportion_ci(confidence, "exact").low
    high = binomtest(hits, runs, alternative="less").proportion_ci(confidence, "exact").high
    return float(low), float(high)


def runs_to_show(hits: int, runs: int, fraction: float, confidence: float) -> int | None:
    """How many more runs, all meeting the target, would make the lower bound reach the
    fraction; None when the fraction is 1 (no finite number of runs shows it)."""
    if fraction >= 1.0:
        return None

    def enough(extra: int) -> bool:
        return bounds(hits + extra, runs + extra, confidence)[0] >= fraction

    if enough(0):
        return 0
    # The lower bound grows with every hit: double, then bisect.
    high = 1
    while not enough(high):
        high *= 2
    low = high // 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return high


@dataclass
class Validation:
    """The verdict on one target over a set of runs, and why runs missed."""

    target: Target
    runs: int
    hits: int
    low: float
    high: float
    verdict: Verdict
    more_runs: int | None
    misses: dict[str, list[int]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def validate(target: Target, results: Iterable[tuple[int, Mapping[str, Any]]]) -> Validation:
    """Judge `target` over `(seed, metrics)` pairs."""
    runs = hits = 0
    misses: dict[str, list[int]] = {"censored": [], "rto": [], "rpo": []}
    for seed, metrics in results:
        runs += 1
        reasons = miss_reasons(target, metrics)
        if not reasons:
            hits += 1
        for reason in reasons:
            misses[reason].append(seed)
    low, high = bounds(hits, runs, target.confidence)
    verdict: Verdict
    if low >= target.fraction:
        verdict, more = "holds", 0
    elif high < target.fraction:
        verdict, more = "fails", None
    else:
        verdict = "undecided"
        more = runs_to_show(hits, runs, target.fraction, target.confidence)
    return Validation(target, runs, hits, low, high, verdict, more, misses)


def runs_needed(fraction: float, confidence: float) -> int:
    """Runs that show the fraction if none misses: the default number of runs to try."""
    more = runs_to_show(0, 0, fraction, confidence)
    if more is None:
        raise ValueError("a fraction of 1 cannot be shown by any number of runs")
    return more
