"""The workload: probe clients in named sites, issuing writes and reads through their router,
and (optionally) increments of a few hot counters shared by every client.

Each client runs two probe loops (writes, reads), each a closed loop at its rate: the next
statement starts one interval after the previous one started, or when it finished if it took
longer. A write has a unique key; a failed or unknown write is retried after a jittered
exponential backoff with the same key, up to `retries` times, so a write can end "failed but
present". Any error drops the session; the next statement opens a new one.

Why one simpy event per statement: the request's whole plan is known when it is issued, so the
loop sleeps straight to its next statement; when the cluster changes under an unfinished
request, the request is re-planned and the loop woken to re-aim its sleep.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.cluster.requests import Request
from sim.cluster.routing import Session
from sim.spec.workload import Client, Workload

if TYPE_CHECKING:
    from sim.cluster.core import Cluster


class ProbeLoop:
    """One probe thread of a client: writes or reads at a fixed rate."""

    def __init__(self, wl: ClientWorkload, client: Client, f: str, rate: float, index: int) -> None:
        self.wl = wl
        self.c = wl.c
        self.client = client
        self.f = f
        self.interval = 1.0 / rate
        self.index = index
        self.site = wl.c.net.zone_of[client.host]
        self.session: Session | None = None
        self.req: Request | None = None
        self.proc: simpy.Process | None = None
        self._rng = wl.c.rng(f"client:{client.host}:{f}")
        # When the last failed, unknown or slow statement ended: a window is quiet only
        # once every loop has done well for longer than the RTO's stability rule asks.
        self.last_bad = float("-inf")
        self.last_good = float("-inf")
        self.retrying = False
        # When the loop wakes to record the statement in flight.
        self.wake_at = 0.0

    def run(self, epoch: int = 0) -> Generator[Any, Any, None]:
        """The loop of incident window `epoch`: statement ids and write keys of each window
        are its own (a window's history does not depend on how many statements came before)."""
        env = self.c.env
        spec = self.wl.spec
        service = self.c.requests
        timeout = env.timeout
        interval = self.interval
        write = self.f == "write"
        incr = self.f == "incr"
        hot = spec.hot_keys.keys if spec.hot_keys is not None else 0
        retries = spec.retries
        slow = self.c.scenario.checks.slow
        host, site, via, f = self.client.host, self.site, self.client.via, self.f
        window = epoch * 100_000_000_000
        base_id = window + self.index * 10_000_000
        yield timeout(self._rng.uniform(0.0, interval))
        seq = n = attempt = 0
        key = window + self.index * 1_000_000 if write else 0
        last_write = self.wl.last_write
        nothing_yet = (0, (-1, -1.0))
        powered = self.c.net.up
        while True:
            if not powered[host]:
                # A powered-off application server sends nothing until it boots again.
                yield self.c.booted(host)
                continue
            n += 1
            if incr:
                key = 1 + self._rng.index(hot)
            elif not write:
                # A read asks for this client's own last acknowledged write.
                key, own = last_write.get(host, nothing_yet)
            req = Request(
                base_id + n,
                host,
                site,
                via,
                f,
                key,
                attempt,
                env.now,
                spec.connect_timeout,
                spec.statement_timeout,
                self.session,
            )
            if not write and not incr:
                req.own = own
            service.start(req, env.now)
            self.req = req
            backoff = -1.0
            while True:
                if write and req.outcome != "ok" and attempt < retries:
                    if backoff < 0:
                        backoff = self._backoff(attempt)
                    wake = req.t_done + backoff
                else:
                    wake = max(req.t_done, req.t_invoke + interval)
                self.wake_at = wake
                try:
                    yield timeout(max(wake - env.now, 0.0))
                    break
                except simpy.Interrupt:
                    continue
            service.record(req)
            self.req = None
            if req.outcome == "ok":
                self.session = req.session
                if write:
                    last_write[host] = (key, (req.lineage, float(req.lsn)))
                if req.t_done - req.t_invoke > slow:
                    self.last_bad = req.t_done
                else:
                    self.last_good = req.t_done
            else:
                self.session = None
                self.last_bad = req.t_done
                if write and attempt < retries:
                    attempt += 1
                    self.retrying = True
                    continue
            self.retrying = False
            if write:
                seq += 1
                key = window + self.index * 1_000_000 + seq
                attempt = 0

    def _backoff(self, attempt: int) -> float:
        b = self.wl.spec.backoff
        return self._rng.uniform(0.0, min(b.max, b.base * 2**attempt))

    def revise(self, now: float) -> None:
        req = self.req
        if req is not None and req.t_done > now and self.c.requests.revise(req, now):
            assert self.proc is not None
            self.proc.interrupt()

    def settled(self, now: float, stable_s: float, slow_s: float) -> bool:
        """Up for long enough that the RTO's stability rule sees the recovery inside the
        window (good statements for `stable_s` after the last bad one, with a statement or
        two to spare), or down and staying down: failing since the last good statement more
        than `stable_s` ago, the one in flight failing too (a skipped stretch then counts as
        down: the outage ends only at a good statement). A powered-off client asks nothing."""
        if not self.c.net.up[self.client.host]:
            return True
        req = self.req
        failing = self.last_bad > self.last_good and (req is None or req.outcome != "ok")
        if failing:
            return now - self.last_good > stable_s
        if req is not None and req.outcome != "ok":
            return False
        return not self.retrying and now - self.last_bad > stable_s + slow_s + 2 * self.interval

    def skip(self, to: float) -> None:
        """Before the time up to `to` is skipped: the statement in flight ends as planned
        (nothing will re-plan it), and is recorded as the full simulation records it, if
        the loop would have woken to record it before the next window opens at `to`."""
        req = self.req
        if req is not None and self.wake_at < to:
            self.c.requests.record(req)
        self.req = None

    def finish(self) -> None:
        """At the end of the run, record the statement still in flight as unknown."""
        req = self.req
        if req is not None and req.t_done > self.c.env.now:
            req.outcome, req.error, req.t_done = "info", "pending", self.c.env.now
            req.lineage, req.lsn = -1, -1
            self.c.requests.record(req)


class ClientWorkload:
    """Every probe loop of the topology's clients."""

    def __init__(self, cluster: Cluster, spec: Workload) -> None:
        self.c = cluster
        self.spec = spec
        self.loops: list[ProbeLoop] = []
        # Each client's last acknowledged write: its key and (lineage, LSN).
        self.last_write: dict[str, tuple[int, tuple[int, float]]] = {}
        hot_rate = spec.hot_keys.rate if spec.hot_keys is not None else 0.0
        for client in spec.clients:
            for f, rate in (("write", client.writes), ("read", client.reads), ("incr", hot_rate)):
                if rate > 0:
                    self.loops.append(ProbeLoop(self, client, f, rate, len(self.loops) + 1))

    def start(self) -> None:
        for loop in self.loops:
            loop.proc = self.c.env.process(loop.run())
        self.c.on_change(self._changed)

    def settled(self) -> bool:
        """Every loop has done well for the stability time. Never with hot counters: their
        updates change what the cluster holds, so quiet time that is skipped would differ
        from quiet time simulated."""
        if any(loop.f == "incr" for loop in self.loops):
            return False
        checks = self.c.scenario.checks
        now = self.c.env.now
        return all(loop.settled(now, checks.stable, checks.slow) for loop in self.loops)

    def skip(self, to: float) -> None:
        for loop in self.loops:
            loop.skip(to)

    def rebase(self) -> None:
        """Every probe loop restarts at a fresh phase with the window's ids; the statement in
        flight is dropped (its reply belongs to the past window), sessions stay open, and a
        client forgets its last write (reads ask for nothing until it writes again)."""
        self.last_write.clear()
        for loop in self.loops:
            loop.req = None
            loop.retrying = False
            loop.proc = self.c.env.process(loop.run(self.c.epoch))

    def _changed(self) -> None:
        now = self.c.env.now
        for loop in self.loops:
            loop.revise(now)

    def sessions(self) -> list[Session]:
        return [loop.session for loop in self.loops if loop.session is not None] + [
            loop.req.session
            for loop in self.loops
            if loop.req is not None and loop.req.session is not None
        ]

    def finish(self) -> None:
        for loop in self.loops:
            loop.finish()
