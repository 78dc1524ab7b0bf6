"""A builder for hand-written histories, so each checker test states only the rows it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

import pytest

from sim.history import (
    NO_LINEAGE,
    Commit,
    Decision,
    Event,
    FaultEvent,
    FinalRead,
    FinalValue,
    History,
    Lineage,
    Op,
    Outcome,
    Position,
    RoleChange,
)

# Where a stream of ops lands, from its invocation time: (lineage, lsn).
Placement = Callable[[float], tuple[int, int]]
OpKind = Literal["write", "read", "incr"]


class HistoryBuilder:
    """A `History` written row by row, with the meta every checker reads (horizon and end
    60 s, stable 5 s, slow 1 s, 100 bytes per transaction)."""

    def __init__(self) -> None:
        self.history = History(
            meta={
                "t_observe_end": 60.0,
                "t_end": 60.0,
                "stable_s": 5.0,
                "slow_s": 1.0,
                "tx_bytes": 100,
                "site_routers": {},
            }
        )
        self._next_id = 0
        self._next_key = 1000

    def meta(self, **values: Any) -> HistoryBuilder:
        self.history.meta.update(values)
        return self

    def lineage(
        self,
        id: int,
        parent: int = NO_LINEAGE,
        fork_lsn: int = 0,
        t: float = 0.0,
        node: str = "db1",
    ) -> HistoryBuilder:
        self.history.lineages.append(Lineage(id, parent, fork_lsn, t, node))
        return self

    def primary(
        self, lineage: int, *samples: tuple[float, int], node: str = "db1"
    ) -> HistoryBuilder:
        """Primary position samples (t, lsn) of one lineage."""
        for t, lsn in samples:
            self.history.positions.append(Position(t, node, lineage, lsn, "primary"))
        return self

    def position(
        self, t: float, lineage: int, lsn: int, kind: str, node: str = "db1"
    ) -> HistoryBuilder:
        self.history.positions.append(Position(t, node, lineage, lsn, kind))
        return self

    def role(self, t: float, node: str, role: str, lineage: int, lsn: int) -> HistoryBuilder:
        self.history.roles.append(RoleChange(t, node, role, lineage, lsn))
        return self

    def fault(
        self,
        t: float,
        kind: str = "crash",
        targets: tuple[str, ...] = ("db1",),
        phase: Literal["start", "end"] = "start",
    ) -> HistoryBuilder:
        self.history.faults.append(FaultEvent(t, 0, kind, phase, targets))
        return self

    def event(self, t: float, name: str, node: str = "") -> HistoryBuilder:
        self.history.events.append(Event(t, name, node, ""))
        return self

    def final(self, lineage: int, lsn: int, t: float = 59.0) -> HistoryBuilder:
        self.history.final = FinalRead(t, "db1", lineage, lsn)
        return self

    def held(self, lineage: int, lsn: int, node: str = "db2", t: float = 59.0) -> HistoryBuilder:
        """A further position the final state holds (`History.held`)."""
        self.history.held.append(FinalRead(t, node, lineage, lsn))
        return self

    def final_value(self, key: int, value: int) -> HistoryBuilder:
        self.history.final_values.append(FinalValue(key, value))
        return self

    def decision(
        self,
        t: float,
        old_up: bool,
        reaching: int,
        deciders: int,
        node: str = "db2",
        old: str = "db1",
    ) -> HistoryBuilder:
        self.history.decisions.append(Decision(t, node, old, old_up, reaching, deciders))
        return self

    def commit(self, key: int, lineage: int, lsn: int, t: float = 0.0) -> HistoryBuilder:
        self.history.commits.append(Commit(t, "db1", key, lineage, lsn))
        return self

    def op(
        self,
        f: OpKind,
        t_invoke: float,
        duration: float = 0.25,
        outcome: Outcome = "ok",
        at: tuple[int, int] = (NO_LINEAGE, -1),
        *,
        key: int | None = None,
        attempt: int = 1,
        site: str = "a",
        commit: bool | None = None,
        node: str = "db1",
        value: int = -1,
    ) -> int:
        """Record one op and return its key; an ok write also records its commit unless
        `commit` says otherwise, and `commit=True` records one for any outcome."""
        if key is None:
            key = self._next_key
            self._next_key += 1
        lineage, lsn = at
        self.history.ops.append(
            Op(
                self._next_id,
                f"client-{site}",
                site,
                f,
                key,
                attempt,
                t_invoke,
                t_invoke + duration,
                outcome,
                node,
                lineage,
                lsn,
                "",
                value,
            )
        )
        self._next_id += 1
        if f == "write" and (commit if commit is not None else outcome == "ok"):
            self.commit(key, lineage, lsn, t_invoke)
        return key

    def write(
        self,
        t_invoke: float,
        duration: float = 0.25,
        outcome: Outcome = "ok",
        at: tuple[int, int] = (NO_LINEAGE, -1),
        **kw: Any,
    ) -> int:
        return self.op("write", t_invoke, duration, outcome, at, **kw)

    def read(
        self,
        t_invoke: float,
        duration: float = 0.25,
        outcome: Outcome = "ok",
        at: tuple[int, int] = (NO_LINEAGE, -1),
        **kw: Any,
    ) -> int:
        return self.op("read", t_invoke, duration, outcome, at, **kw)

    def incr(
        self,
        t_invoke: float,
        key: int,
        value: int,
        outcome: Outcome = "ok",
        at: tuple[int, int] = (NO_LINEAGE, -1),
        **kw: Any,
    ) -> int:
        """A read-modify-write of hot counter `key` that wrote `value`."""
        return self.op("incr", t_invoke, 0.25, outcome, at, key=key, value=value, **kw)

    def stream(
        self,
        f: OpKind,
        times: Iterable[float],
        placement: Placement | None,
        duration: float = 0.25,
        outcome: Outcome = "ok",
        site: str = "a",
        node: str = "db1",
    ) -> list[int]:
        """One op per time in `times`, at the position `placement` gives (none if None)."""
        return [
            self.op(
                f,
                t,
                duration,
                outcome,
                (NO_LINEAGE, -1) if placement is None else placement(t),
                site=site,
                node=node,
            )
            for t in times
        ]

    def build(self) -> History:
        self.history.sort()
        return self.history


@pytest.fixture
def hb() -> HistoryBuilder:
    return HistoryBuilder()


def on_old(t: float) -> tuple[int, int]:
    """Lineage 0, the first primary, writing 1000 bytes a second from t = 0."""
    return 0, int(1000 * t)


def on_new(t: float) -> tuple[int, int]:
    """Lineage 1, promoted at t = 14 from lineage 0's LSN 10000, writing 1000 bytes a second."""
    return 1, 10000 + int(1000 * (t - 14))


@pytest.fixture
def crash(hb: HistoryBuilder) -> HistoryBuilder:
    """A clean crash and failover, site `a`: the primary crashes at 10 having written exactly
    10000 bytes, writes fail from 10 to 16 (reads from 10.5 to 16.5), lineage 1 is promoted at
    14 and writes succeed again from 17 (reads from 17.5). Write RTO 7.25, read RTO 7.75."""
    hb.meta(site_routers={"a": ["proxy-a", "proxy-b"], "z": ["proxy-z"]})
    hb.lineage(0).lineage(1, parent=0, fork_lsn=10000, t=14.0, node="db2")
    hb.primary(0, (0.0, 0), (10.0, 10000))
    hb.primary(1, (14.0, 10000), (60.0, 56000), node="db2")
    hb.fault(10.0, "crash", ("db1",))
    hb.fault(30.0, "crash", ("db1",), phase="end")
    hb.stream("write", range(10), on_old)
    hb.stream("write", range(10, 17), None, duration=0.5, outcome="fail")
    hb.stream("write", range(17, 60), on_new)
    hb.stream("read", [t + 0.5 for t in range(10)], on_old)
    hb.stream("read", [t + 0.5 for t in range(10, 17)], None, duration=0.5, outcome="fail")
    hb.stream("read", [t + 0.5 for t in range(17, 59)], on_new)
    hb.event(5.0, "failure_detected", "mon1")  # a false suspicion before the fault
    hb.event(12.0, "failure_detected", "mon1")
    hb.event(13.0, "leader_elected", "db2")
    hb.event(13.5, "fence_done", "db1")
    hb.event(14.0, "promotion_done", "db2")
    hb.event(15.0, "route_changed", "proxy-a")
    hb.event(15.5, "route_changed", "proxy-b")
    hb.event(16.5, "route_changed", "proxy-z")  # another site's router
    hb.final(1, 56000)
    return hb
