"""The record of one run: what clients saw, what nodes did, what broke and when.

Checkers read only this. Rows are NamedTuples: immutable like frozen dataclasses, but built
about four times faster, and a run records tens of thousands of them (`Op` alone is one row per
client operation attempt, holding Jepsen's invoke and its completion together).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Literal, NamedTuple

Outcome = Literal["ok", "fail", "info"]
NO_LINEAGE = -1


class Op(NamedTuple):
    """One client operation attempt: invoked at `t_invoke`, then `ok`, `fail` (certainly not
    applied) or `info` (outcome unknown to the client) at `t_complete`.

    A write carries the position it committed at, a read the position it observed; both are
    (`lineage`, `lsn`), or (-1, -1) when the client learnt none. Retries of a write reuse its
    `key` with a higher `attempt`.

    `value`: for a read, 1 if it saw the client's own last acknowledged write (`key`) and 0 if
    not; for an `incr` (a read-modify-write of hot counter `key`), the value it wrote; -1 when
    there is none."""

    id: int
    client: str
    site: str
    f: Literal["write", "read"]
    key: int
    attempt: int
    t_invoke: float
    t_complete: float
    outcome: Outcome
    node: str
    lineage: int
    lsn: int
    error: str
    value: int = -1


class Commit(NamedTuple):
    """A probe write made durable on a primary's log (whether or not its client heard back)."""

    t: float
    node: str
    key: int
    lineage: int
    lsn: int


class Lineage(NamedTuple):
    """A timeline (PostgreSQL) or term (Raft): begun at `t` by a promotion on `node`, forked
    from `parent` at `fork_lsn`; the root has parent -1."""

    id: int
    parent: int
    fork_lsn: int
    t: float
    node: str


class RoleChange(NamedTuple):
    """A node's role from `t` on: primary, demoting (stopping, still acknowledging), replica,
    starting, rejoining, stopped (process down) or down (host off)."""

    t: float
    node: str
    role: str
    lineage: int
    lsn: int


class FaultEvent(NamedTuple):
    """A fault's start or end, with the hosts it was resolved to."""

    t: float
    fault: int
    kind: str
    phase: Literal["start", "end"]
    targets: tuple[str, ...]


class Event(NamedTuple):
    """A named component event: failure_detected, leader_elected, promotion_started,
    promotion_done, fence_done, route_changed, and family-specific ones."""

    t: float
    name: str
    node: str
    detail: str


class Position(NamedTuple):
    """A log position that matters: `primary` is the LSN a primary had reached at `t` (recorded
    at every change of the write rate, so that position and time convert exactly by linear
    interpolation), `published` what a leader published, `flushed` what a node held at a crash."""

    t: float
    node: str
    lineage: int
    lsn: int
    kind: str


class FinalRead(NamedTuple):
    """What the cluster holds at the end: the node read and its position. Further rows
    (`History.held`) name more positions it holds: the other primaries of a multi-primary
    cluster, the replicas of a leaderless one."""

    t: float
    node: str
    lineage: int
    lsn: int


class FinalValue(NamedTuple):
    """A hot counter's value in the final state (after conflicts were resolved)."""

    key: int
    value: int


class Decision(NamedTuple):
    """A failover decision and what the world looked like when it was made: whether the
    primary being replaced was up (host on, database running, not frozen), and how many of
    the deciders (store members, observers or voters) could reach it. Facts, not a verdict:
    the checkers judge."""

    t: float
    node: str
    old: str
    old_up: bool
    reaching: int
    deciders: int


class ObjectLoss(NamedTuple):
    """Logical corruption: an object (a table holding `share` of the data and of the probe
    keys, those for which `on_object` holds) removed on `lineage` at `lsn`. Every history
    that holds this position has lost what the object held up to it."""

    t: float
    lineage: int
    lsn: int
    share: float


class Recovery(NamedTuple):
    """A restore finished at `t` on `node`: it brought back the state of (`lineage`,
    `target_lsn`), for the whole database (`share` 1.0: it goes on as `into_lineage`, forked
    at `into_lsn` = `target_lsn`) or for one object (`share` below 1: copied into the live
    database at (`into_lineage`, `into_lsn`)). `chosen_lsn` is the recovery target the
    runbook chose (the newest point within reach after the loss of every node; just before
    a corruption otherwise), which the backups may not have reached; `covered_lsn` how far
    the history it gave up went: what lies past the chosen target, up to there, was left out
    by choice."""

    t: float
    node: str
    lineage: int
    target_lsn: int
    chosen_lsn: int
    covered_lsn: int
    into_lineage: int
    into_lsn: int
    share: float


_KNUTH = 2654435761


def on_object(key: int, share: float) -> bool:
    """Whether probe key `key` lies in the object holding `share` of the keys: a fixed
    multiplicative hash spreads consecutive keys evenly (key 0, no write yet, never does)."""
    return key > 0 and (key * _KNUTH) & 0xFFFFFFFF < share * 2**32


ROW_KINDS: dict[str, type[tuple[Any, ...]]] = {
    "ops": Op,
    "commits": Commit,
    "lineages": Lineage,
    "roles": RoleChange,
    "faults": FaultEvent,
    "events": Event,
    "positions": Position,
    "decisions": Decision,
    "held": FinalRead,
    "final_values": FinalValue,
    "object_losses": ObjectLoss,
    "recoveries": Recovery,
}
# Tables added after histories were first pinned: hashed only when they hold rows, so that
# a run that never fills them keeps the digest it always had.
LATER_KINDS = frozenset({"object_losses", "recoveries"})


def _fmt(value: Any) -> str:
    # Rounded to the microsecond so that a last-bit difference in a libm function on another
    # machine cannot change the digest.
    if isinstance(value, float):
        return "inf" if value == float("inf") else f"{value:.6f}"
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)


@dataclass
class History:
    """Everything one run recorded, and the constants checkers need (`meta`)."""

    meta: dict[str, Any] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    commits: list[Commit] = field(default_factory=list)
    lineages: list[Lineage] = field(default_factory=list)
    roles: list[RoleChange] = field(default_factory=list)
    faults: list[FaultEvent] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    final: FinalRead | None = None
    held: list[FinalRead] = field(default_factory=list)
    final_values: list[FinalValue] = field(default_factory=list)
    object_losses: list[ObjectLoss] = field(default_factory=list)
    recoveries: list[Recovery] = field(default_factory=list)

    def sort(self) -> None:
        """Order every table by time (ops by invocation), ties by recording order."""
        self.ops.sort(key=itemgetter(6, 0))
        by_time = itemgetter(0)
        self.commits.sort(key=by_time)
        self.roles.sort(key=by_time)
        self.faults.sort(key=by_time)
        self.events.sort(key=by_time)
        self.positions.sort(key=by_time)
        self.decisions.sort(key=by_time)
        self.object_losses.sort(key=by_time)
        self.recoveries.sort(key=by_time)

    def digest(self) -> str:
        """SHA-256 of a canonical text form of every row: equal digests, equal histories."""
        h = hashlib.sha256()
        h.update(json.dumps(self.meta, sort_keys=True, default=str).encode())
        for name, _ in ROW_KINDS.items():
            rows = getattr(self, name)
            if name in LATER_KINDS and not rows:
                continue
            h.update(f"\n#{name}\n".encode())
            for row in rows:
                h.update(("\t".join(map(_fmt, row)) + "\n").encode())
        if self.final is not None:
            h.update(("#final\t" + "\t".join(map(_fmt, self.final))).encode())
        return h.hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (rows as lists)."""
        out: dict[str, Any] = {"meta": self.meta}
        for name in ROW_KINDS:
            out[name] = [list(row) for row in getattr(self, name)]
        out["final"] = list(self.final) if self.final else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        """The inverse of `to_dict`."""
        hist = cls(meta=dict(data.get("meta", {})))
        for name, row in ROW_KINDS.items():
            rows = [
                row(*(tuple(v) if isinstance(v, list) else v for v in r))
                for r in data.get(name, [])
            ]
            setattr(hist, name, rows)
        if data.get("final"):
            hist.final = FinalRead(*data["final"])
        return hist
