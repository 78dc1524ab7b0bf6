"""What logical corruption and restores did to the data: which probe writes an object's loss
took, which a restore brought back, and which a restore left out by choice.

A history is a position (lineage, LSN) and everything its lineage chain holds up to there. An
object loss at a position erases, from every history that holds that position, the writes to
the object made before it; an object restore copies the object as it was at an earlier
position into the live database; a whole-database restore is a new lineage forked at its
target, which the lineage rule alone handles.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.checkers.lineage import LineageTree
from sim.history import NO_LINEAGE, Commit, History, Op, Recovery, on_object

WHOLE = 1.0


def holds(tree: LineageTree, view: tuple[int, int], lineage: int, lsn: int) -> bool:
    """Whether the history at position `view` holds position (`lineage`, `lsn`)."""
    cur, limit = view
    while cur != NO_LINEAGE:
        if cur == lineage:
            return lsn <= limit
        row = tree.rows.get(cur)
        if row is None:
            return False
        cur, limit = row.parent, min(limit, row.fork_lsn)
    return False


@dataclass(frozen=True, slots=True)
class _Event:
    """An object event at a position: a loss, or a restore of the state at `source`."""

    t: float
    at: tuple[int, int]
    share: float
    source: tuple[int, int] | None


class ObjectHistory:
    """The object events of a run, and what the final state holds of each object."""

    def __init__(self, history: History, tree: LineageTree) -> None:
        self.tree = tree
        events = [_Event(o.t, (o.lineage, o.lsn), o.share, None) for o in history.object_losses]
        events += [
            _Event(r.t, (r.into_lineage, r.into_lsn), r.share, (r.lineage, r.target_lsn))
            for r in history.recoveries
            if r.share < WHOLE
        ]
        self.events = sorted(events, key=lambda e: e.t)
        self.shares = sorted({e.share for e in self.events})
        self.recoveries = [r for r in history.recoveries if r.share < WHOLE]
        final = history.final
        self.final = None if final is None else (final.lineage, final.lsn)

    def share_of(self, key: int) -> float | None:
        """The object `key` lies in, by its share; None for keys on no affected object."""
        return next((s for s in self.shares if on_object(key, s)), None)

    def present_in(self, view: tuple[int, int], c: Commit, share: float, until: float) -> bool:
        """Whether the object's content at `view` (as events before `until` left it) holds
        the write of commit `c`."""
        if not holds(self.tree, view, c.lineage, c.lsn):
            return False
        state = True
        for e in self.events:
            if e.t >= until:
                break
            if e.t < c.t or e.share != share or not holds(self.tree, view, *e.at):
                continue
            state = e.source is not None and self.present_in(e.source, c, share, e.t)
        return state

    def filter_present(self, present: set[int], commits: list[Commit]) -> set[int]:
        """`present` (keys the lineage rule keeps) with each object key decided again: it is
        there if some commit of it survives the object's losses and restores."""
        if self.final is None or not self.events:
            return present
        keep: set[int] = set()
        decided: set[int] = set()
        for c in commits:
            share = self.share_of(c.key)
            if share is None:
                continue
            decided.add(c.key)
            if c.key not in keep and self.present_in(self.final, c, share, float("inf")):
                keep.add(c.key)
        return (present - decided) | keep

    def kept_since(self, op: Op) -> float:
        """For a write its object lost although its position survives: the time of the state
        the last restore of that object brought back (0 when none did: the object lost
        everything it held)."""
        share = self.share_of(op.key)
        t = 0.0
        for r in self.recoveries:
            if r.share == share and self.final and holds(self.tree, self.final, *_into(r)):
                t = self.tree.time_at(r.lineage, r.target_lsn)
        return t


def _into(r: Recovery) -> tuple[int, int]:
    return r.into_lineage, r.into_lsn


def discarded_writes(history: History, tree: LineageTree, lost: dict[int, Op]) -> int:
    """Lost writes that a restore left out by choice: their position lies past the target
    the runbook chose, within the history it gave up (a point-in-time recovery to before a
    corruption discards every later write, an object restore only that object's; what lies
    between an older backup and the chosen target is lost for want of backups, not by
    choice)."""
    count = 0
    for op in lost.values():
        for r in history.recoveries:
            if r.share < WHOLE and not on_object(op.key, r.share):
                continue
            covered = holds(tree, (r.lineage, r.covered_lsn), op.lineage, op.lsn)
            if covered and not holds(tree, (r.lineage, r.chosen_lsn), op.lineage, op.lsn):
                count += 1
                break
    return count
