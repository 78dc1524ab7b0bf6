"""What clients saw go wrong besides lost writes: stale reads, reads that missed the client's
own write, lost counter updates, and the spans in which each node acknowledged writes."""

from __future__ import annotations

from dataclasses import dataclass

from sim.checkers.lineage import LineageTree
from sim.history import NO_LINEAGE, History

# The bound on staleness when a history's meta does not give one.
STALE_BOUND_S = 1.0

# (node, lineage) -> (first ack, last ack) of its ok writes.
WriteSpans = dict[tuple[str, int], tuple[float, float]]


@dataclass(frozen=True, slots=True)
class OpAudit:
    """What one pass over the ops found for the anomaly metrics.

    `spans`: each (node, lineage)'s write-accepting interval, from the `t_complete` of the
    first to that of the last ok write (or `incr`) the node acknowledged on that lineage;
    `incr_acked`: ok increments per hot counter key; `stale_reads` and `ryw_violations`: the
    counts of those metrics."""

    spans: WriteSpans
    incr_acked: dict[int, int]
    stale_reads: int
    ryw_violations: int


def audit_ops(history: History, tree: LineageTree | None = None) -> OpAudit:
    """Gather `OpAudit` in one pass over the ops.

    A read is stale when it was invoked more than meta `stale_bound_s` after its lineage moved
    past the LSN it observed (`LineageTree.time_past`: a read of a lineage that has written
    nothing since is never stale, nor is one of a lineage without a clock). A read violates
    read-your-writes when its `value` is 0: it did not see the
    client's own last acknowledged write.

    Why one pass, and the state carried through it: a run holds tens of thousands of ops and
    each pass costs milliseconds of `check_all`'s budget. Consecutive ops mostly share a
    write-accepting node and a stretch of the read clock, so both are kept in locals and
    looked up again only when they change.
    """
    if tree is None:
        tree = LineageTree(history)
    bound = float(history.meta.get("stale_bound_s", STALE_BOUND_S))
    spans: WriteSpans = {}
    incr_acked: dict[int, int] = {}
    stale = ryw = 0
    # The read clock in use: its lineage, whether it has samples, and the open stretch
    # lo_lsn < x < hi_lsn interpolated from lo_t at dt / dl.
    clock_lineage, clocked = NO_LINEAGE, False
    lo_lsn, hi_lsn, lo_t, dt, dl = 0, 0, 0.0, 0.0, 1
    # The write span being extended: its node and lineage, first and last ack so far.
    node, span_lineage = "", NO_LINEAGE
    t_first = t_last = 0.0
    for o in history.ops:
        if o.outcome != "ok":
            continue
        lineage = o.lineage
        if o.f == "read":
            if o.value == 0:
                ryw += 1
            if lineage != clock_lineage:
                clock_lineage, clocked = lineage, tree.has_clock(lineage)
                lo_lsn = hi_lsn = 0
            if not clocked:
                continue
            lsn = o.lsn
            if lo_lsn < lsn < hi_lsn:
                # The expression of `time_at`, so that both give the same float.
                t = lo_t + (lsn - lo_lsn) * dt / dl
            else:
                # Inside a stretch the lineage passed `lsn` when it reached it; at a sample it
                # may have stood there, and only its moving on makes a copy at `lsn` stale.
                t = tree.time_past(lineage, lsn)
                stretch = tree.clock_span(lineage, lsn)
                if stretch is not None:
                    lo_lsn, hi_lsn, lo_t, hi_t = stretch
                    dt, dl = hi_t - lo_t, hi_lsn - lo_lsn
            # Staleness is floored at 0, which changes no count against a bound of 0 or more.
            if o.t_invoke - t > bound:
                stale += 1
            continue
        if o.f == "incr":
            incr_acked[o.key] = incr_acked.get(o.key, 0) + 1
        tc = o.t_complete
        if lineage == span_lineage and o.node == node:
            # Ops come by invocation, not completion: either end may move.
            if tc < t_first:
                t_first = tc
            elif tc > t_last:
                t_last = tc
            continue
        _extend(spans, node, span_lineage, t_first, t_last)
        node, span_lineage, t_first, t_last = o.node, lineage, tc, tc
    _extend(spans, node, span_lineage, t_first, t_last)
    return OpAudit(
        spans={key: spans[key] for key in sorted(spans)},
        incr_acked=incr_acked,
        stale_reads=stale,
        ryw_violations=ryw,
    )


def _extend(spans: WriteSpans, node: str, lineage: int, t_first: float, t_last: float) -> None:
    # An ack with no position names no lineage to be in split brain with.
    if lineage == NO_LINEAGE:
        return
    old = spans.get((node, lineage))
    if old is not None:
        t_first, t_last = min(old[0], t_first), max(old[1], t_last)
    spans[node, lineage] = (t_first, t_last)


def lost_updates(history: History, audit: OpAudit | None = None) -> int:
    """Acknowledged increments the final counter values do not show: per hot counter, the ok
    `incr` ops beyond its final value (0 if the final state has none), summed over counters.

    Why a count, not a list: increments carry no identity in the value, only their number
    does; a linearizable store keeps every acknowledged one, last-writer-wins under a
    partition keeps one side's."""
    if audit is None:
        audit = audit_ops(history)
    final = {row.key: row.value for row in history.final_values}
    return sum(max(0, n - final.get(key, 0)) for key, n in audit.incr_acked.items())
