"""Continuous log archiving, computed from the primary's log: no simpy event per segment.

A primary switches to a new segment once `segment` bytes have been written since the last
switch, or when `archive_timeout` has passed with something written (the timer is checked
every timeout, so after a quiet spell the switch comes at the first tick after writing
resumed). Each switched segment is pushed to a store; what the store holds of the log at `t`
is what was switched one push time earlier, as long as the primary could reach it. While it
cannot (its host is down, its database stopped, the store or the path to it down), nothing is
pushed; afterwards the backlog drains at the store's upload rate. A primary that stops being
primary on this log (a failover) never pushes the rest: the new primary archives its own
lineage from its fork, and what lies between is a gap.

Why analytic: a busy primary switches a 16 MB segment every few seconds, a year-long run
would be millions of events; between two changes of the write rate, switches are evenly
spaced, so the clock jumps over them in one step.
"""

from __future__ import annotations

from bisect import bisect_right

from sim.wal import INF, PrimaryLog


def time_reaching(log: PrimaryLog, x: float, t: float) -> float:
    """The first time at or after `t` at which `log` reaches position `x` (inf if never,
    as far as it is known now)."""
    while True:
        v, rate, nxt = log.piece(t)
        if v >= x:
            return t
        if rate > 0 and (nxt == INF or v + rate * (nxt - t) >= x):
            return t + (x - v) / rate
        if nxt == INF:
            return INF
        t = nxt


class SegmentClock:
    """When one primary's log switches segments, from `t0` (a switch: the term's start)."""

    def __init__(self, log: PrimaryLog, t0: float, segment: float, timeout: float | None) -> None:
        self.log = log
        self.segment = segment
        self.timeout = timeout
        self._anchors: list[tuple[float, float]] = [(t0, log.value(t0))]
        self._t, self._lsn = self._anchors[0]

    def _next(self, t_s: float, lsn_s: float) -> float:
        """The switch after the one at (`t_s`, `lsn_s`)."""
        full = time_reaching(self.log, lsn_s + self.segment, t_s)
        if self.timeout is None:
            return full
        written = time_reaching(self.log, lsn_s + 1.0, t_s)
        if written == INF:
            return full
        ticks = max(1.0, -(-(written - t_s) // self.timeout))
        return min(full, t_s + ticks * self.timeout)

    def _jump(self, t: float) -> None:
        """Skip the evenly spaced switches of a steady stretch that end before `t`."""
        v, rate, nxt = self.log.piece(self._t)
        if rate <= 0 or v != self._lsn:
            return
        end = min(nxt, t)
        step = self.segment / rate
        if self.timeout is not None:
            step = min(step, self.timeout)
        n = int((end - self._t) // step) - 1
        if n > 0:
            self._t += n * step
            self._lsn = self.log.value(self._t)

    def last_switch(self, t: float) -> tuple[float, float]:
        """(time, position) of the last switch at or before `t`."""
        if t < self._t:
            i = bisect_right(self._anchors, (t, INF)) - 1
            self._t, self._lsn = self._anchors[max(i, 0)]
        while True:
            self._jump(t)
            nxt = self._next(self._t, self._lsn)
            if nxt > t:
                return self._t, self._lsn
            self._t, self._lsn = nxt, self.log.value(nxt)
            if self._t - self._anchors[-1][0] > 3600.0:
                self._anchors.append((self._t, self._lsn))


class LogArchiver:
    """What one store holds of one primary's log over time."""

    def __init__(
        self, clock: SegmentClock, t0: float, push_s: float, drain_bps: float, up: bool
    ) -> None:
        self.clock = clock
        self.t0 = t0
        self.start = clock.log.value(t0)
        self.push_s = push_s
        self.drain_bps = drain_bps
        # Times at which pushing became possible (True) or impossible (False), in order.
        self._changes: list[tuple[float, bool]] = [(t0, up)]

    def set_up(self, t: float, up: bool) -> None:
        """Pushing is possible (or not) from `t` on."""
        if self._changes[-1][1] != up:
            self._changes.append((t, up))

    def _ready(self, t: float) -> float:
        """The log switched by `t - push_s`: what a store reachable all along would hold."""
        if t - self.push_s < self.t0:
            return self.start
        return self.clock.last_switch(t - self.push_s)[1]

    def archived(self, t: float) -> float:
        """The position up to which the store holds this log at `t`."""
        value = self.start
        changes = self._changes
        for i, (since, up) in enumerate(changes):
            if since > t:
                break
            until = min(changes[i + 1][0] if i + 1 < len(changes) else INF, t)
            if up:
                ready = self._ready(until)
                # After a stall the backlog drains at the upload rate; otherwise the store
                # keeps up with the switches.
                value = max(value, min(ready, value + self.drain_bps * (until - since)))
        return value
