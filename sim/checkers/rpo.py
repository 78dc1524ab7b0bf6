"""What the final state discarded: lost bytes and the span of time they cover (RPO)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.checkers.lineage import LineageTree
from sim.checkers.objects import ObjectHistory
from sim.checkers.writes import WriteAudit
from sim.history import History


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of log that `lineage` itself wrote and the final state discarded:
    LSNs (`start_lsn`, `top_lsn`]."""

    lineage: int
    start_lsn: int
    top_lsn: int

    @property
    def bytes(self) -> int:
        return self.top_lsn - self.start_lsn


def lineage_tops(history: History) -> dict[int, int]:
    """The highest LSN any row records for each lineage."""
    tops: dict[int, int] = {}
    get = tops.get
    for rows in (history.positions, history.commits, history.roles, history.ops):
        for row in rows:
            lineage, lsn = row.lineage, row.lsn
            if lsn > get(lineage, -1):
                tops[lineage] = lsn
    return tops


def discarded_segments(history: History, tree: LineageTree | None = None) -> list[Segment]:
    """Each lineage's discarded stretch, by lineage id; lineages that lost nothing are left out.

    Why per lineage from its own start: bytes a child inherited from its parent were written
    by the parent, so counting them again on the child would count them twice.
    """
    if tree is None:
        tree = LineageTree(history)
    tops = lineage_tops(history)
    out: list[Segment] = []
    for lineage in sorted(tree.rows):
        top = tops.get(lineage)
        if top is None:
            continue
        start = tree.limit.get(lineage, tree.start_lsn(lineage))
        if top > start:
            out.append(Segment(lineage, start, top))
    return out


def rpo_bytes(segments: list[Segment]) -> int:
    """The bytes of log the final state discarded, over all lineages."""
    return sum(s.bytes for s in segments)


def loss_window_s(segments: list[Segment], tree: LineageTree) -> float:
    """The total time during which the writes that were later discarded were made."""
    spans = (
        tree.time_at(s.lineage, s.top_lsn) - tree.time_at(s.lineage, s.start_lsn) for s in segments
    )
    return sum(spans, 0.0)


def lost_tx_est(rpo_bytes: int, tx_bytes: int) -> float:
    """The transactions the discarded bytes held, at `tx_bytes` of log per transaction.

    Why: probes at a few per second miss short loss windows that bulk traffic did not.
    """
    return rpo_bytes / tx_bytes


def rpo_s(audit: WriteAudit, tree: LineageTree, objects: ObjectHistory | None = None) -> float:
    """The span of acknowledged time lost: from when the last position a lost write shares with
    the final chain was written, to that write's ack; the worst over lost keys, 0 if none. A
    write whose position survives but whose object was lost (`objects`) is measured from the
    state the object's last restore brought back."""
    worst = 0.0
    since: dict[int, float] = {}
    for op in audit.lost.values():
        if objects is not None and tree.survives(op.lineage, op.lsn):
            worst = max(worst, op.t_complete - objects.kept_since(op))
            continue
        t_common = since.get(op.lineage)
        if t_common is None:
            point = tree.common_point(op.lineage)
            # Sharing nothing with the final state (or acked with no position): everything
            # back to the start of the record is gone.
            t_common = 0.0 if point is None else tree.time_at(*point)
            since[op.lineage] = t_common
        worst = max(worst, op.t_complete - t_common)
    return worst
