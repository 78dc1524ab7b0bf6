"""Split brain: when nodes on different lineages both accepted writes, and when two or more
nodes held the primary role at once."""

from __future__ import annotations

from operator import itemgetter

from sim.checkers.anomalies import OpAudit, WriteSpans, audit_ops
from sim.history import History

# Roles in which a node acknowledges writes: a demoting primary still does.
ACKING_ROLES = frozenset({"primary", "demoting"})


def multi_primary(history: History) -> bool:
    """Whether the cluster accepts writes on several primaries by design (meta
    `multi_primary`, false when absent): concurrent primaries are then no anomaly."""
    return bool(history.meta.get("multi_primary", False))


def split_brain(history: History, audit: OpAudit | None = None) -> list[list[float]]:
    """The intervals [start, end] in which nodes on two or more different lineages were both
    write-accepting (each (node, lineage) from its first to its last ok write ack, as
    `OpAudit.spans`), sorted and merged where they touch or overlap; [] for a multi-primary
    cluster, whose conflicts show up as lost updates instead.

    Zero-length intersections are dropped. Why: one lineage's last ack and another's first at
    the same instant is a handoff, not two primaries at once, and an interval of no length has
    nothing to report; a lone ack on a lineage later discarded still counts in
    `divergent_writes`.
    """
    if multi_primary(history):
        return []
    if audit is None:
        audit = audit_ops(history)
    return lineage_overlaps(audit.spans)


def lineage_overlaps(spans: WriteSpans) -> list[list[float]]:
    """The union of the intersections of spans on different lineages, as sorted, merged
    [start, end] pairs of positive length: a sweep over the spans' ends."""
    # Starts (0) before ends (1) at the same time: closed spans that touch do meet there.
    marks = sorted(
        [(t0, 0, lineage) for (_, lineage), (t0, _) in spans.items()]
        + [(t1, 1, lineage) for (_, lineage), (_, t1) in spans.items()]
    )
    open_spans: dict[int, int] = {}
    live = 0  # lineages with an open span
    since = 0.0
    out: list[list[float]] = []
    for t, is_end, lineage in marks:
        n = open_spans.get(lineage, 0)
        if not is_end:
            open_spans[lineage] = n + 1
            if n == 0:
                live += 1
                if live == 2:
                    since = t
            continue
        open_spans[lineage] = n - 1
        if n == 1:
            live -= 1
            # A region cannot close and reopen at one instant (starts come first), so the
            # regions come out sorted, disjoint and apart: already merged.
            if live == 1 and t > since:
                out.append([since, t])
    return out


def split_brain_s(intervals: list[list[float]]) -> float:
    """The total length of split-brain intervals (disjoint, as `split_brain` returns them)."""
    return sum((end - start for start, end in intervals), 0.0)


def primary_spans(history: History) -> list[tuple[float, float, str]]:
    """Each node's spans in an acking role (primary or demoting): (start, end, node), from its
    change into such a role until its next change to any other, or meta `t_end`."""
    opened: dict[str, float] = {}
    out: list[tuple[float, float, str]] = []
    # Stable: role changes at the same time keep their recording order.
    for row in sorted(history.roles, key=itemgetter(0)):
        if row.role in ACKING_ROLES:
            opened.setdefault(row.node, row.t)
        elif row.node in opened:
            out.append((opened.pop(row.node), row.t, row.node))
    if opened:
        t_end = float(history.meta["t_end"])
        out.extend((t0, t_end, node) for node, t0 in sorted(opened.items()))
    out.sort()
    return out


def dual_primary_s(history: History) -> float:
    """The total time two or more nodes were in an acking role at once, whether or not they
    got writes; 0 for a multi-primary cluster, where that is the design."""
    if multi_primary(history):
        return 0.0
    spans = primary_spans(history)
    # (time, +1 or -1): the order of marks at one instant changes no length.
    marks = sorted([(t0, 1) for t0, _, _ in spans] + [(t1, -1) for _, t1, _ in spans])
    total = 0.0
    live = 0
    prev = 0.0
    for t, step in marks:
        if live >= 2:
            total += t - prev
        live += step
        prev = t
    return total
