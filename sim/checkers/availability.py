"""Downtime and availability over the whole observation window, however many incidents it
holds: the RTO's rule applied again after every recovery.

A site is down from the invocation of a bad write (failed, timed out, slow or later lost) to
the first good completion followed by a `stable_s` window of good writes, as for its RTO; a
site that stops writing (its application server lost power) is down only until its last
write completes, since nothing it does not ask says anything about the database. The run is
down whenever some site is (the worst site's view, as for `rto_s`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from sim.checkers.incident import fault_start
from sim.checkers.rto import Attempt, Recoveries
from sim.history import History

Interval = tuple[float, float]


def down_intervals(attempts: Sequence[Attempt], stable_s: float, t_end: float) -> list[Interval]:
    """One site's down intervals, in time order."""
    if not attempts:
        return []
    recoveries = Recoveries(attempts, stable_s, t_end)
    by_invoke, invokes = recoveries.by_invoke, recoveries.invokes
    last_done = min(t_end, max(a[1] for a in by_invoke))
    out: list[Interval] = []
    i = 0
    while i < len(by_invoke):
        if by_invoke[i][2]:
            i += 1
            continue
        start = by_invoke[i][0]
        end = recoveries.at_or_after(start)
        if end is None:
            out.append((start, max(start, last_done)))
            break
        out.append((start, end))
        # Resume with the first op invoked after the recovery.
        i = bisect_right(invokes, end)
    return out


def union_s(intervals: Sequence[Interval], t_end: float) -> float:
    """Total time covered by the intervals, clipped to [0, t_end]."""
    total, reach = 0.0, 0.0
    for a, b in sorted(intervals):
        a, b = max(a, reach, 0.0), min(b, t_end)
        if b > a:
            total += b - a
            reach = b
    return total


def downtime_s(history: History, writes: dict[str, list[Attempt]]) -> float:
    """Time from the first fault to the end of the observation window during which some site
    was down for writes (`writes`: each site's write attempts from the fault on); 0 without a
    fault, as steady-state noise before any incident is not downtime."""
    t_fault = fault_start(history)
    if t_fault is None:
        return 0.0
    stable_s = float(history.meta["stable_s"])
    t_end = float(history.meta["t_observe_end"])
    spans = [
        (max(a, t_fault), b)
        for site in sorted(writes)
        for a, b in down_intervals(writes[site], stable_s, t_end)
    ]
    return union_s(spans, t_end)


def availability(downtime: float, history: History) -> float:
    """Share of the observation window during which writes succeeded at every site."""
    window = float(history.meta["t_observe_end"])
    return 1.0 - downtime / window if window > 0 else 1.0
