"""How many failovers an incident caused, and where its RTO went, stage by stage."""

from __future__ import annotations

from bisect import bisect_left

from sim.checkers.incident import fault_start
from sim.history import NO_LINEAGE, History

BREAKDOWN_KEYS = (
    "detection_s",
    "election_s",
    "fencing_s",
    "promotion_s",
    "routing_s",
    "client_s",
)
# The events that end each stage before routing, in the order a failover passes them: a
# restore's decision ends the election stage, and an object copied back its promotion.
STAGE_EVENTS = (
    ("failure_detected",),
    ("leader_elected", "restore_started"),
    ("fence_done",),
    ("promotion_done", "object_restored"),
)


def _promotions(history: History) -> list[float]:
    """When another node was promoted (a new lineage begun elsewhere than its parent), from
    the fault on; every such promotion when there was none."""
    t_fault = fault_start(history)
    node_of = {row.id: row.node for row in history.lineages}
    return [
        row.t
        for row in history.lineages
        if row.parent != NO_LINEAGE
        and node_of.get(row.parent) != row.node
        and (t_fault is None or row.t >= t_fault)
    ]


def failovers(history: History) -> int:
    """The promotions of another node from the fault on (every one when there was no fault).

    Why not every new lineage: a primary restarted in place may come back on a new timeline
    (Patroni restarts a crashed primary read-only, then promotes it); that is no failover.
    A multi-primary cluster is not special: a node promoted to replace another on a new
    lineage is counted the same way, however many other primaries were serving."""
    return len(_promotions(history))


def failover_time_s(history: History) -> float | None:
    """From the fault to the first promotion of another node: the span a preset's documented
    timers bound; None without a fault or a promotion."""
    t_fault = fault_start(history)
    if t_fault is None:
        return None
    return min((t - t_fault for t in _promotions(history)), default=None)


def false_failovers(history: History) -> int:
    """The failover decisions taken while the primary being replaced was up and reachable from
    a strict majority of the deciders, from the fault on; every such decision when there was
    none.

    Why a majority: a primary that most deciders still reach could have kept serving; one
    that only a minority reaches is cut off, and replacing it is what failover is for."""
    t_fault = fault_start(history)
    return sum(
        1
        for d in history.decisions
        if d.old_up and d.reaching * 2 > d.deciders and (t_fault is None or d.t >= t_fault)
    )


def _first_at_or_after(times: list[float], t: float) -> float | None:
    i = bisect_left(times, t)
    return times[i] if i < len(times) else None


def breakdown(history: History, rto_s: float, site: str | None) -> dict[str, float]:
    """`rto_s` split into stages by the first of each named event after the previous stage,
    routing ending when the last of `site`'s routers changed route; the stages sum to `rto_s`.

    A stage whose event is missing takes no time. Why clamp to the recovery: events after it
    (a late route change on a router nobody needed) did not delay anyone.
    """
    t_fault = fault_start(history)
    if t_fault is None or rto_s == 0.0:
        return dict.fromkeys(BREAKDOWN_KEYS, 0.0)
    by_name: dict[str, list[float]] = {}
    by_router: dict[str, list[float]] = {}
    for e in history.events:
        by_name.setdefault(e.name, []).append(e.t)
        if e.name == "route_changed":
            by_router.setdefault(e.node, []).append(e.t)
    for times in (*by_name.values(), *by_router.values()):
        times.sort()
    marks: list[float] = []
    # Searching each stage from the previous one, the first from the fault, leaves out
    # events from before the incident.
    t = t_fault
    for names in STAGE_EVENTS:
        found = [f for n in names if (f := _first_at_or_after(by_name.get(n, []), t)) is not None]
        if found:
            t = min(found)
        marks.append(t)
    routers = history.meta["site_routers"].get(site, []) if site is not None else []
    routed = [_first_at_or_after(by_router.get(r, []), t) for r in routers]
    marks.append(max((x for x in routed if x is not None), default=t))
    t_end = t_fault + rto_s
    stages: list[float] = []
    prev = t_fault
    for mark in marks:
        at = min(max(mark, prev), t_end)
        stages.append(float(at - prev))
        prev = at
    # The remainder is taken from the stages' own sum so that the six add up to rto_s.
    stages.append(rto_s - sum(stages))
    return dict(zip(BREAKDOWN_KEYS, stages, strict=True))
