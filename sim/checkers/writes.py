"""The fate of each probe write key: lost, divergent, indeterminate or failed but present."""

from __future__ import annotations

from dataclasses import dataclass

from sim.checkers.lineage import LineageTree
from sim.checkers.objects import ObjectHistory
from sim.history import NO_LINEAGE, History, Op


@dataclass(frozen=True, slots=True)
class WriteAudit:
    """The write keys in each category; `lost` maps a lost key to its last acknowledged attempt
    (the one with the latest `t_complete`), which `rpo_s` measures from."""

    lost: dict[int, Op]
    divergent: frozenset[int]
    indeterminate: frozenset[int]
    failed_but_present: frozenset[int]

    def counts(self) -> dict[str, int]:
        """The four counts under their metric names."""
        return {
            "lost_writes": len(self.lost),
            "divergent_writes": len(self.divergent),
            "indeterminate": len(self.indeterminate),
            "failed_but_present": len(self.failed_but_present),
        }


def present_keys(history: History, tree: LineageTree) -> set[int]:
    """The write keys the final state holds: some commit of the key survives (and, for a key
    on an object that logical corruption removed, survives the object's losses and
    restores too)."""
    get_limit = tree.limit.get
    present: set[int] = set()
    for c in history.commits:
        lim = get_limit(c.lineage)
        if lim is not None and c.lsn <= lim:
            present.add(c.key)
    if history.object_losses:
        present = ObjectHistory(history, tree).filter_present(present, history.commits)
    return present


def audit_writes(history: History, tree: LineageTree | None = None) -> WriteAudit:
    """Sort every write key into the categories of `WriteAudit`, in one pass over the ops."""
    if tree is None:
        tree = LineageTree(history)
    get_limit = tree.limit.get
    present = present_keys(history, tree)
    last_ok: dict[int, Op] = {}
    divergent: set[int] = set()
    # Keys with a fail or info attempt: every key with no ok attempt is among them, and not
    # adding each acked key to a set keeps this pass short.
    tried: set[int] = set()
    info: set[int] = set()
    for o in history.ops:
        if o.f != "write":
            continue
        key = o.key
        if o.outcome == "ok":
            prev = last_ok.get(key)
            if prev is None or o.t_complete > prev.t_complete:
                last_ok[key] = o
            lim = get_limit(o.lineage)
            # An ack with no position names no lineage that could have been discarded.
            if (lim is None or o.lsn > lim) and o.lineage != NO_LINEAGE:
                divergent.add(key)
        else:
            tried.add(key)
            if o.outcome == "info":
                info.add(key)
    unacked = tried.difference(last_ok)
    return WriteAudit(
        lost={k: last_ok[k] for k in sorted(last_ok.keys() - present)},
        divergent=frozenset(divergent),
        indeterminate=frozenset(unacked & info),
        failed_but_present=frozenset(unacked & present),
    )
