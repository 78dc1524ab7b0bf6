"""Figures per year from runs over a long observation window (random failure profiles):
availability, downtime per year, nines, incidents per year, and the probability of losing
any acknowledged write in a year, each with its confidence interval.

Why per year: a run covers `observed_s` of simulated time; users plan and contract in years
("five nines is 5.3 minutes a year"). Downtime and incidents scale with time; the chance of
some data loss does not add up linearly, so it is carried over as 1 - (1 - p)^(year/window),
with p's exact (Clopper-Pearson) interval carried along the same monotone map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scipy.stats import binomtest

from sim.stats import Estimate, mean

YEAR_S = 365.25 * 86400.0


@dataclass(frozen=True)
class Annual:
    """The year-scale figures of one set of runs."""

    runs: int
    observed_years: float
    availability: Estimate
    nines: Estimate
    downtime_per_year_s: Estimate
    incidents_per_year: Estimate
    p_data_loss_per_year: Estimate


def nines(availability: float) -> float:
    """How many nines an availability has (0.999 -> 3); inf when nothing was down."""
    if availability >= 1.0:
        return math.inf
    return -math.log10(1.0 - availability)


def _scaled(e: Estimate, factor: float) -> Estimate:
    return Estimate(e.value * factor, e.low * factor, e.high * factor)


def annual(rows: Sequence[dict[str, Any]], observed_s: float, confidence: float = 0.95) -> Annual:
    """The figures over runs (metric dicts) that each observed `observed_s` seconds."""
    per_year = YEAR_S / observed_s
    avail = mean([float(r["availability"]) for r in rows], confidence)
    lost = sum(1 for r in rows if int(r["lost_writes"]) > 0)
    ci = binomtest(lost, len(rows)).proportion_ci(confidence_level=confidence, method="exact")

    def yearly(p: float) -> float:
        return 1.0 - (1.0 - p) ** per_year

    return Annual(
        runs=len(rows),
        observed_years=len(rows) * observed_s / YEAR_S,
        availability=avail,
        # Fewer nines at the lower end of availability.
        nines=Estimate(nines(avail.value), nines(avail.low), nines(avail.high)),
        downtime_per_year_s=_scaled(
            mean([float(r["downtime_s"]) for r in rows], confidence), per_year
        ),
        incidents_per_year=_scaled(
            mean([float(r["incidents"]) for r in rows], confidence), per_year
        ),
        p_data_loss_per_year=Estimate(
            yearly(lost / len(rows)), yearly(float(ci.low)), yearly(float(ci.high))
        ),
    )
