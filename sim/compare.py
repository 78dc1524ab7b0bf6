"""Topologies side by side under one scenario: the figures `hasim compare` prints and the
dashboard's Compare page shows, from the metric dicts of many seeds each.

Pure numpy, no figures: the command line needs it without the dashboard's libraries.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (numpy's linear method) of values that may hold +inf; nan if empty.

    Why not plain `np.percentile`: interpolating next to an inf gives nan (inf × 0 or
    inf − inf). Here a percentile that reaches into the censored runs is +inf, and one that
    does not is numpy's own answer.
    """
    arr = np.sort(np.asarray(list(values), dtype=float))
    if arr.size == 0:
        return math.nan
    h = (arr.size - 1) * q / 100.0
    lo, hi = math.floor(h), math.ceil(h)
    if math.isinf(arr[lo]) or (hi > lo and math.isinf(arr[hi])):
        return math.inf
    # Elements past `hi` carry no weight; capping them keeps the array sorted and finite.
    return float(np.percentile(np.minimum(arr, arr[hi]), q))


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def _column(runs: Sequence[Mapping[str, Any]], key: str) -> list[float]:
    """A metric over the runs, left out of runs that lack it (older stored results)."""
    return [float(m[key]) for m in runs if key in m]


def summary_rows(results: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """One row per topology over its runs' metric dicts: rto_s p50/p90/p99/max, rpo_s
    p50/p99, mean lost and discarded writes, mean failovers and restores, the restore's p50,
    the monthly cost and its parts, and the fraction of censored (+inf) runs."""
    rows = []
    for name, runs in results.items():
        rto = _column(runs, "rto_s")
        rpo = _column(runs, "rpo_s")
        restores = _column(runs, "restores")
        restore_s = [float(m["restore_s"]) for m in runs if m.get("restores", 0) > 0]
        n = len(runs)
        row: dict[str, Any] = {
            "topology": name,
            "runs": n,
            "rto_s_p50": percentile(rto, 50),
            "rto_s_p90": percentile(rto, 90),
            "rto_s_p99": percentile(rto, 99),
            "rto_s_max": max(rto) if rto else math.nan,
            "rpo_s_p50": percentile(rpo, 50),
            "rpo_s_p99": percentile(rpo, 99),
            "lost_writes_mean": _mean(_column(runs, "lost_writes")),
            "discarded_writes_mean": _mean(_column(runs, "discarded_writes")),
            "failovers_mean": _mean(_column(runs, "failovers")),
            "restores_mean": _mean(restores),
            "restore_s_p50": percentile(restore_s, 50),
            "censored_fraction": sum(math.isinf(x) for x in rto) / n if n else math.nan,
        }
        # The bill is the topology's own, the same in every run.
        for key in COST_COLUMNS:
            row[key] = runs[0].get(key, math.nan) if runs else math.nan
        rows.append(row)
    return rows


COST_COLUMNS = (
    "cost_month_usd",
    "compute_month_usd",
    "storage_month_usd",
    "backup_month_usd",
    "transfer_month_usd",
)
