"""The write-ahead log as positions: no simpy event per write.

A primary's LSN is a piecewise-linear function of time (the application's write rate is
piecewise constant: a steady rate plus bursts). A standby's replication connection is a fluid
queue: the walsender ships at most the link's throughput, so the shipped position follows the
primary's while the link keeps up and falls behind at (write rate − throughput) during a burst
that exceeds it. Received = shipped one latency later; flushed = received one fsync later;
replayed = a second fluid queue at the replay rate, fed by what was received.

Why fluid queues: a 2,000 tx/s workload over a simulated hour is seven million writes; the
positions they produce are a handful of line segments, and every question the model asks
(what was lost at a crash, when does a standby's flush acknowledge LSN x, how long does a
promotion replay) has an exact answer from those segments.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Protocol

INF = float("inf")


class Curve(Protocol):
    """A nondecreasing, continuous, piecewise-linear cumulative byte count over time."""

    def value(self, t: float) -> float: ...

    def slope(self, t: float) -> float:
        """Right derivative at `t`."""
        ...

    def next_kink(self, t: float) -> float:
        """The first breakpoint strictly after `t` (inf when there is none)."""
        ...

    def piece(self, t: float) -> tuple[float, float, float]:
        """(value, slope, next breakpoint) at `t`, in one look-up."""
        ...


@dataclass
class RateSchedule:
    """The application's WAL generation rate (bytes/s), piecewise constant over the run:
    `rates[i]` holds on [`times[i]`, `times[i+1]`)."""

    times: list[float]
    rates: list[float]
    cum: list[float] = field(init=False)

    def __post_init__(self) -> None:
        assert self.times and self.times[0] == 0.0 and len(self.times) == len(self.rates)
        self.cum = [0.0]
        for i in range(1, len(self.times)):
            self.cum.append(self.cum[-1] + self.rates[i - 1] * (self.times[i] - self.times[i - 1]))

    @classmethod
    def steady(cls, rate: float) -> RateSchedule:
        return cls([0.0], [rate])

    @classmethod
    def with_bursts(
        cls,
        base: float,
        bursts: list[tuple[float, float, float]],
    ) -> RateSchedule:
        """`base` plus each burst (start, duration, extra rate); overlapping bursts add up."""
        edges: dict[float, float] = {0.0: 0.0}
        for start, duration, extra in bursts:
            edges[start] = edges.get(start, 0.0) + extra
            end = start + duration
            edges[end] = edges.get(end, 0.0) - extra
        times, rates, level = [], [], base
        for t in sorted(edges):
            level += edges[t]
            times.append(t)
            rates.append(max(level, 0.0))
        return cls(times, rates)

    def scaled(self, factor: float) -> RateSchedule:
        """The same schedule with every rate times `factor`."""
        return RateSchedule(list(self.times), [r * factor for r in self.rates])

    def capped(self, cap: float) -> RateSchedule:
        """The same schedule with every rate at most `cap` (memoised per cap)."""
        cache = self.__dict__.setdefault("_capped", {})
        if cap not in cache:
            times, rates = [], []
            for t, r in zip(self.times, self.rates, strict=True):
                r = min(r, cap)
                if not rates or r != rates[-1]:
                    times.append(t)
                    rates.append(r)
            cache[cap] = RateSchedule(times, rates)
        return cache[cap]

    def _index(self, t: float) -> int:
        return bisect_right(self.times, t) - 1

    def rate(self, t: float) -> float:
        return self.rates[self._index(t)]

    def cumulative(self, t: float) -> float:
        """Bytes the application writes in [0, t] at full rate."""
        i = self._index(t)
        return self.cum[i] + self.rates[i] * (t - self.times[i])

    def next_change(self, t: float) -> float:
        i = bisect_right(self.times, t)
        return self.times[i] if i < len(self.times) else INF

    def changes_between(self, t0: float, t1: float) -> list[float]:
        """Times in (t0, t1) at which the rate changes."""
        return self.times[bisect_right(self.times, t0) : bisect_left(self.times, t1)]


class PrimaryLog:
    """The LSN a primary has reached on its lineage: it grows with the application's write
    rate while the primary accepts and completes writes, and stands still otherwise. When
    commits wait for a standby, the application cannot write faster than that standby
    receives, so the rate is capped at the stream's throughput.

    Kept as segments (start time, start LSN, the schedule in force or None when still) so that
    the past reads exactly, which the WAL streams need (they read one latency back)."""

    def __init__(self, schedule: RateSchedule, lineage: int, t0: float, lsn0: float) -> None:
        self.schedule = schedule
        self.lineage = lineage
        self._starts: list[float] = [t0]
        self._lsns: list[float] = [lsn0]
        self._scheds: list[RateSchedule | None] = [None]
        # On a growing segment the LSN is this offset plus the schedule's cumulative bytes.
        self._offsets: list[float] = [lsn0]

    @property
    def growing(self) -> bool:
        return self._scheds[-1] is not None

    def _seg(self, t: float) -> int:
        return max(bisect_right(self._starts, t) - 1, 0)

    def value(self, t: float) -> float:
        starts = self._starts
        i = len(starts) - 1
        if t < starts[i]:
            i = self._seg(t)
        sched = self._scheds[i]
        if sched is None:
            return self._lsns[i]
        return self._offsets[i] + sched.cumulative(max(t, starts[i]))

    def slope(self, t: float) -> float:
        sched = self._scheds[self._seg(t)]
        return 0.0 if sched is None else sched.rate(t)

    def next_kink(self, t: float) -> float:
        i = self._seg(t)
        seg_end = self._starts[i + 1] if i + 1 < len(self._starts) else INF
        sched = self._scheds[i]
        return min(INF if sched is None else sched.next_change(t), seg_end)

    def piece(self, t: float) -> tuple[float, float, float]:
        starts = self._starts
        i = len(starts) - 1
        if t < starts[i]:
            i = self._seg(t)
        seg_end = starts[i + 1] if i + 1 < len(starts) else INF
        sched = self._scheds[i]
        if sched is None:
            return self._lsns[i], 0.0, seg_end
        k = sched._index(max(t, starts[i]))
        # Summed in the same order as `value`, so that both agree to the last bit.
        value = self._offsets[i] + (
            sched.cum[k] + sched.rates[k] * (max(t, starts[i]) - sched.times[k])
        )
        nxt = sched.times[k + 1] if k + 1 < len(sched.times) else INF
        return value, sched.rates[k], min(nxt, seg_end)

    def set_growing(self, t: float, growing: bool, cap: float | None = None) -> None:
        """From `t` on, the log grows at the application's rate (at most `cap` bytes/s), or
        stands still."""
        sched = (
            (self.schedule.capped(cap) if cap is not None else self.schedule) if growing else None
        )
        if sched is self._scheds[-1]:
            return
        lsn = self.value(t)
        offset = lsn - sched.cumulative(t) if sched is not None else lsn
        if self._starts[-1] == t:
            self._lsns[-1], self._scheds[-1], self._offsets[-1] = lsn, sched, offset
        else:
            self._starts.append(t)
            self._lsns.append(lsn)
            self._scheds.append(sched)
            self._offsets.append(offset)

    def samples(self, until: float) -> list[tuple[float, float]]:
        """(t, LSN) at every change of slope up to `until`: between two samples the LSN is
        linear in time, so position and time convert exactly."""
        out: list[tuple[float, float]] = []
        for i, start in enumerate(self._starts):
            if start > until:
                break
            end = min(self._starts[i + 1] if i + 1 < len(self._starts) else until, until)
            out.append((start, self.value(start)))
            sched = self._scheds[i]
            if sched is not None:
                out.extend((c, self.value(c)) for c in sched.changes_between(start, end))
            out.append((end, self.value(end)))
        dedup: list[tuple[float, float]] = []
        for point in out:
            if not dedup or point[0] > dedup[-1][0]:
                dedup.append(point)
        return dedup


class Constant:
    """A position that no longer moves (a standby with no upstream)."""

    __slots__ = ("v",)

    def __init__(self, v: float) -> None:
        self.v = v

    def value(self, t: float) -> float:
        return self.v

    def slope(self, t: float) -> float:
        return 0.0

    def next_kink(self, t: float) -> float:
        return INF

    def piece(self, t: float) -> tuple[float, float, float]:
        return self.v, 0.0, INF


class FluidQueue:
    """What a server working at `rate` bytes/s has done with the bytes `arrivals` brings.

    `value(t)` is exact for the piecewise-linear input: the output follows the input while the
    server keeps up, runs at `rate` while a backlog exists, and bends where the input's rate
    changes or the backlog empties."""

    _EPS = 1e-6

    def __init__(self, arrivals: Curve, rate: float, t0: float, done0: float) -> None:
        self.arrivals = arrivals
        self.rate = rate
        self.t = t0
        self.done = min(done0, arrivals.value(t0))
        self._ts: list[float] = [t0]
        self._vs: list[float] = [self.done]

    def advance(self, target: float) -> None:
        """Run the queue forward to `target`."""
        arr, rate = self.arrivals, self.rate
        while self.t < target:
            t = self.t
            value, r, kink = arr.piece(t)
            backlog = value - self.done
            nxt = min(kink, target)
            assert nxt > t, "a fluid queue must move forward"
            if backlog <= self._EPS:
                if r <= rate:
                    self.done = arr.value(nxt)
                else:
                    self.done += rate * (nxt - t)
            elif r < rate and (empty_at := t + backlog / (rate - r)) < nxt:
                if empty_at <= t:
                    # A backlog below the clock's resolution at `t` (large LSNs, late
                    # times): it is already drained, and stepping by zero would never end.
                    self.done = value
                    continue
                nxt = empty_at
                self.done = arr.value(nxt)
            else:
                self.done += rate * (nxt - t)
            self.t = nxt
            self._ts.append(nxt)
            self._vs.append(self.done)

    def value(self, t: float) -> float:
        """Bytes done by time `t` (advancing the queue if `t` lies ahead)."""
        if t >= self.t:
            self.advance(t)
            return self.done
        i = bisect_right(self._ts, t) - 1
        if i < 0:
            return self._vs[0]
        if i + 1 >= len(self._ts):
            return self._vs[i]
        t0, t1 = self._ts[i], self._ts[i + 1]
        v0, v1 = self._vs[i], self._vs[i + 1]
        return v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)

    def time_of(self, x: float, t_x: float) -> float:
        """When the output reached (or will reach) position `x`, which the input reaches at
        `t_x` (possibly ahead of the queue's time): a backlog drains at `rate`, and nothing
        leaves before it has arrived. Exact up to the input's breakpoints between now and
        `t_x`, which lie a few milliseconds apart at most when the model asks."""
        if x <= self.done:
            i = bisect_left(self._vs, x)
            if i == 0:
                return self._ts[0]
            v0, v1 = self._vs[i - 1], self._vs[i]
            t0, t1 = self._ts[i - 1], self._ts[i]
            return t1 if v1 == v0 else t0 + (t1 - t0) * (x - v0) / (v1 - v0)
        return max(t_x, self.t + (x - self.done) / self.rate)

    def slope_at(self, t: float) -> float:
        i = bisect_right(self._ts, t) - 1
        if i < 0 or i + 1 >= len(self._ts):
            return 0.0
        dt = self._ts[i + 1] - self._ts[i]
        return 0.0 if dt == 0 else (self._vs[i + 1] - self._vs[i]) / dt

    def kink_after(self, t: float, shift: float = 0.0) -> float:
        """The first breakpoint `k` with `k + shift > t`, as `k + shift` (inf if none).

        Why the shift is applied here: `bisect` on `t - shift` can return a breakpoint that,
        shifted back, rounds to `t` itself, and a queue fed by it would never move on."""
        ts = self._ts
        i = bisect_right(ts, t - shift)
        while i < len(ts) and ts[i] + shift <= t:
            i += 1
        return ts[i] + shift if i < len(ts) else INF

    def forget_before(self, t: float) -> None:
        """Drop breakpoints older than `t` (keeping one at or before it)."""
        i = bisect_right(self._ts, t) - 1
        if i > 0:
            del self._ts[:i]
            del self._vs[:i]


class Shifted:
    """A queue's output seen `delay` seconds later (what arrives at the other end)."""

    __slots__ = ("delay", "queue", "t_end")

    def __init__(self, queue: FluidQueue, delay: float) -> None:
        self.queue = queue
        self.delay = delay

    def value(self, t: float) -> float:
        return self.queue.value(t - self.delay)

    def slope(self, t: float) -> float:
        self.queue.advance(t - self.delay)
        return self.queue.slope_at(t - self.delay)

    def next_kink(self, t: float) -> float:
        return self.queue.kink_after(t, self.delay)

    def piece(self, t: float) -> tuple[float, float, float]:
        return self.value(t), self.slope(t), self.next_kink(t)


class Capped:
    """A curve that stops rising at `cap` (what a delayed standby received before its stream
    ended, which it still applies only as it comes of age)."""

    __slots__ = ("cap", "curve")

    def __init__(self, curve: Curve, cap: float) -> None:
        self.curve = curve
        self.cap = cap

    def value(self, t: float) -> float:
        return min(self.curve.value(t), self.cap)

    def slope(self, t: float) -> float:
        return self.piece(t)[1]

    def next_kink(self, t: float) -> float:
        return self.piece(t)[2]

    def piece(self, t: float) -> tuple[float, float, float]:
        v, s, k = self.curve.piece(t)
        if v >= self.cap:
            return self.cap, 0.0, INF
        if s > 0 and (cross := t + (self.cap - v) / s) < k:
            return v, s, cross
        return v, s, k


class WalStream:
    """A standby's replication connection to a primary: the walsender ships the primary's log
    at the link's throughput; the standby receives it one latency later and flushes it one
    fsync after that, then reports back."""

    def __init__(
        self,
        log: PrimaryLog,
        t0: float,
        start_lsn: float,
        bandwidth: float,
        latency: float,
        fsync: float,
    ) -> None:
        self.log = log
        self.latency = latency
        self.fsync = fsync
        self.bandwidth = bandwidth
        self.t0 = t0
        self.start_lsn = start_lsn
        self.sender = FluidQueue(log, bandwidth, t0, start_lsn)
        self.received_curve = Shifted(self.sender, latency)

    def sent(self, t: float) -> float:
        return self.sender.value(t)

    def received(self, t: float) -> float:
        return self.sender.value(max(t - self.latency, self.t0))

    def flushed(self, t: float) -> float:
        return self.received(t - self.fsync)

    def backlog(self, t: float) -> float:
        """Bytes the primary has written that the walsender has not shipped yet."""
        return self.log.value(t) - self.sender.value(t)

    def flush_ack_at(self, x: float, t_x: float, now: float) -> float:
        """When the primary hears that this standby flushed LSN `x`, written at `t_x`
        (synchronous_commit = on)."""
        self.sender.advance(now)
        return self.sender.time_of(x, t_x) + 2 * self.latency + self.fsync

    def receive_ack_at(self, x: float, t_x: float, now: float) -> float:
        """When the primary hears that this standby received LSN `x`, written at `t_x`
        (semi-sync, AFTER_SYNC)."""
        self.sender.advance(now)
        return self.sender.time_of(x, t_x) + 2 * self.latency

    def breakpoints(self) -> int:
        return len(self.sender._ts)

    def trim(self, t: float) -> None:
        self.sender.forget_before(t)


class StandbyLog:
    """A standby's positions on its lineage: received (from its current stream, or frozen),
    flushed, and replayed (a fluid queue at the replay rate fed by what it received, or, with
    an apply delay, by what it received `apply_delay` seconds ago)."""

    def __init__(
        self, lineage: int, t0: float, position: float, apply_rate: float, apply_delay: float = 0.0
    ) -> None:
        self.lineage = lineage
        self.stream: WalStream | None = None
        self.apply_delay = apply_delay
        # Replay stopped by hand (a delayed standby held before a logical error).
        self.paused = False
        self._frozen = Constant(position)
        self.replay = FluidQueue(self._frozen, apply_rate, t0, position)

    def _arrivals(self, stream: WalStream) -> Curve:
        """What replay is fed from `stream`: what it received, `apply_delay` later."""
        if self.apply_delay == 0.0:
            return stream.received_curve
        return Shifted(stream.sender, stream.latency + self.apply_delay)

    def received(self, t: float) -> float:
        return self.stream.received(t) if self.stream else self._frozen.v

    def flushed(self, t: float) -> float:
        return self.stream.flushed(t) if self.stream else self._frozen.v

    def applied(self, t: float) -> float:
        return self.replay.value(t)

    def attach(self, stream: WalStream, lineage: int, t: float) -> None:
        """Start receiving from `stream` at `t` (on `lineage`, which holds this log's past)."""
        self.replay.advance(t)
        self.stream = stream
        self.lineage = lineage
        if not self.paused:
            self.replay.arrivals = self._arrivals(stream)

    def detach(self, t: float, keep: float) -> None:
        """The stream ends at `t`; the standby keeps `keep` bytes (what it received, or only
        what it flushed if it crashed), and replay continues up to there."""
        self.replay.advance(t)
        ended, self.stream = self.stream, None
        self._frozen = Constant(keep)
        if self.apply_delay and ended is not None and not self.paused:
            self.replay.arrivals = Capped(self._arrivals(ended), keep)
        elif not self.paused:
            self.replay.arrivals = self._frozen
        if self.replay.done > keep:
            self.replay.done = keep

    def rebase(self, stream: WalStream | None, t: float, received: float, applied: float) -> None:
        """Start afresh at `t` from these positions, receiving from `stream` (or nothing)."""
        self.stream = stream
        if stream is None:
            self._frozen = Constant(received)
        arrivals: Curve = stream.received_curve if stream is not None else self._frozen
        self.replay = FluidQueue(arrivals, self.replay.rate, t, applied)

    def pause_replay(self, t: float) -> None:
        """Stop applying at `t` (receiving goes on)."""
        self.replay.advance(t)
        self.paused = True
        self.replay.arrivals = Constant(self.replay.done)

    def trim(self, t: float) -> None:
        """Bound memory: settle replay up to `t - 1` and drop older breakpoints."""
        if self.stream is not None:
            self.replay.advance(t - self.stream.latency)
            self.replay.forget_before(t - 1.0)
            self.stream.trim(t - 1.0 - self.stream.latency - self.apply_delay)
