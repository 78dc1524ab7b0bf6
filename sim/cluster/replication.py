"""Replication: which standby streams from which primary, and when a commit is acknowledged.

The commit rules are the replication modes of the topology file: async (after the local
flush), semi-sync (MySQL: wait for `wait_for` replicas to have received it, at most `timeout`,
then fall back to async until a replica has caught up), and sync (PostgreSQL's
synchronous_standby_names: the first `num_sync` connected standbys of the sync set by priority,
or any `num_sync` of them, must have flushed it).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.spec.replication import Quorum, SemiSync, Sync
from sim.wal import INF, FluidQueue, WalStream

# How far back an incident window's start recomputes a standby's stream (see `rebase`).
LOOKBACK_S = 3600.0


def _recomputed(stream: WalStream, t: float) -> WalStream:
    """The stream as its primary's log alone determines it up to `t`: from when it began, or
    from `LOOKBACK_S` before `t` with nothing waiting to be shipped then."""
    t0 = max(t - LOOKBACK_S, stream.t0)
    start = stream.start_lsn if t0 == stream.t0 else stream.log.value(t0)
    return WalStream(stream.log, t0, start, stream.bandwidth, stream.latency, stream.fsync)


if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode


class Replication:
    """Standby connections (WAL streams) and the commit rule."""

    def __init__(self, cluster: Cluster) -> None:
        self.c = cluster
        spec = cluster.topo.replication
        if isinstance(spec, Quorum):
            # A majority of n nodes, the primary included: any n // 2 standbys.
            voters = [h for h in cluster.topo.hosts_of("db") if h not in cluster.dr_nodes]
            majority_standbys = len(voters) // 2
            spec = Sync.model_construct(
                mode="sync", method="any", num_sync=majority_standbys, standbys="all"
            )
        self.spec = spec
        self.streams: dict[str, WalStream] = {}
        self.upstream_of: dict[str, str] = {}
        # Standbys whose packets stopped arriving (host dead, link cut): the primary's
        # walsender still lists them, and waits for their feedback, until wal_sender_timeout.
        self.hung: dict[str, tuple[str, float]] = {}
        # Bumped whenever a connection appears, ends or hangs: `standbys_of` memoises on it.
        self._version = 0
        self._listed: dict[str, list[str]] = {}
        self._listed_version = -1
        self._wake: dict[str, simpy.Event] = {}
        self._lags: dict[tuple[float, int, tuple[int, ...]], float] = {}
        self.semisync_on: dict[str, bool] = {}
        self._semisync_timer: dict[str, float] = {}
        # The sync set each primary waits for; "*" means every standby (PostgreSQL's '*').
        self.sync_names: dict[str, list[str] | str] = {}
        self._default_sync: list[str] | str = "*"
        if isinstance(self.spec, Sync) and self.spec.standbys != "all":
            self._default_sync = list(self.spec.standbys)

    def add_node(self, name: str) -> None:
        """A database node created during the run (a restore on a spare host): its receiver."""
        self._wake[name] = self.c.env.event()
        self.c.env.process(self._receiver(name))

    def start(self) -> None:
        """One receiver process per db node, created in file order."""
        for name in sorted(self.c.nodes, key=self.c.order):
            self._wake[name] = self.c.env.event()
            self.c.env.process(self._receiver(name))
        for node in self.c.nodes.values():
            if node.role == "primary":
                self.primary_started(node)

    # --- the walreceiver of each node ----------------------------------------------------

    def _receiver(self, name: str) -> Generator[Any, Any, None]:
        """Connect to the upstream when it is set and reachable; retry every `reconnect`."""
        node = self.c.nodes[name]
        env = self.c.env
        while True:
            if name not in self.streams and self._can_stream(node):
                self._connect(node)
            if name in self.streams or node.upstream is None or not node.serving:
                yield self._wake[name]
            else:
                yield self._wake[name] | env.timeout(node.spec.reconnect)

    def _poke(self, name: str) -> None:
        ev = self._wake[name]
        if not ev.triggered:
            ev.succeed()
        self._wake[name] = self.c.env.event()

    def _can_stream(self, node: DbNode) -> bool:
        if not self._reaches_upstream(node):
            return False
        up = self.c.nodes[node.upstream or ""]
        if node.wiped:
            # An empty standby cannot stream; it re-clones from the primary it is set to
            # follow, as a Redis replica resyncs in full and a MongoDB member syncs anew.
            self.c.env.process(node.rejoin(up))
            return False
        if node.needs_rejoin(up):
            self.c.event("timeline_diverged", node.name, f"cannot follow {up.name}")
            return False
        return True

    def _reaches_upstream(self, node: DbNode) -> bool:
        """A running standby with an upstream that is a writable primary it can reach."""
        up_name = node.upstream
        if up_name is None or node.role != "replica" or node.process != "running":
            return False
        if node.busy is not None:
            return False
        up = self.c.nodes[up_name]
        return up.writable and up.log is not None and self.c.net.connected(up.name, node.name)

    # --- incident windows ----------------------------------------------------------------

    def settled(self) -> bool:
        """No semi-sync timeout pending, no primary about to return to semi-sync (it does
        at a commit once a connected replica has caught up), and every standby that could
        stream is streaming (one about to connect is a change to come). A walsender waiting
        out a silent standby is on the `agenda`."""
        if self._semisync_timer:
            return False
        if any(on is False and self._streaming_to(p) for p, on in self.semisync_on.items()):
            return False  # back to semi-sync at a commit once a replica has caught up
        return all(
            name in self.streams
            or not self._reaches_upstream(node)
            or node.needs_rejoin(self.c.nodes[node.upstream or ""])
            for name, node in self.c.nodes.items()
        )

    def rebase(self) -> None:
        """Restart the walreceivers, and every stream from what its standby holds now.

        Why a stream is recomputed rather than read: its fluid queue carries a breakpoint for
        every question asked of it (so a skipped stretch and a simulated one leave it in
        different shapes), and after a long skip reading it would walk every burst since.
        What a standby holds now is taken from the last `LOOKBACK_S` of the primary's
        log, from when the stream began or, if earlier, from that long ago with nothing
        waiting to be shipped then (bursts drain in minutes), replayed up to what arrived."""
        t = self.c.env.now
        for name in sorted(self.c.nodes, key=self.c.order):
            node = self.c.nodes[name]
            stream = self.streams.get(name)
            if stream is not None:
                assert node.standby is not None
                past = _recomputed(stream, t)
                replay = FluidQueue(
                    past.received_curve, node.standby.replay.rate, past.t0, past.start_lsn
                )
                received = float(round(past.received(t)))
                applied = float(round(min(replay.value(t), received)))
                fresh = WalStream(
                    stream.log, t, received, stream.bandwidth, stream.latency, stream.fsync
                )
                self.streams[name] = fresh
                node.standby.rebase(fresh, t, received, applied)
            elif node.standby is not None:
                held = node.standby.received(t)
                applied = node.standby.applied(t)
                applied = held if applied >= held - 0.5 else float(round(applied))
                node.standby.rebase(None, t, held, applied)
            self._wake[name] = self.c.env.event()
            self.c.env.process(self._receiver(name))
        for name in sorted(self.hung, key=self.c.order):
            self.c.env.process(self._walsender_timeout(name, self.hung[name][1]))

    def lag_s(self, t: float) -> float:
        """How far behind its primary, in seconds of the primary's log, the furthest streaming
        standby will be at `t` (computed as `rebase` does, moving nothing): the span of
        acknowledged writes an asynchronous failover at `t` could lose."""
        key = (t, self._version, tuple(len(log._starts) for _, log in self.c.logs))
        if (cached := self._lags.get(key)) is not None:
            return cached
        worst = 0.0
        for name in sorted(self.streams, key=self.c.order):
            if name in self.c.dr_nodes:
                continue
            stream = self.streams[name]
            received = _recomputed(stream, t).received(t)
            log = stream.log
            if log.value(t) <= received:
                continue
            # When the primary wrote what the standby will have received: bisect on time.
            lo, hi = max(t - LOOKBACK_S, stream.t0), t
            for _ in range(40):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if log.value(mid) < received else (lo, mid)
            worst = max(worst, t - lo)
        self._lags = {key: worst}
        return worst

    def _streaming_to(self, primary: str) -> bool:
        return any(up == primary for up in self.upstream_of.values())

    def agenda(self) -> list[float]:
        """When each walsender waiting on a silent standby gives up."""
        return [since + self.c.topo.database.wal_sender_timeout for _, since in self.hung.values()]

    def _connect(self, node: DbNode) -> None:
        up = self.c.nodes[node.upstream or ""]
        assert up.log is not None and node.standby is not None
        t = self.c.env.now
        latency, bandwidth = self._link(up.name, node.name)
        stream = WalStream(
            up.log, t, node.standby.received(t), bandwidth, latency, node.spec.wal_fsync
        )
        node.standby.attach(stream, up.lineage, t)
        node.lineage = up.lineage
        if self.hung.pop(node.name, None) is not None:
            self._version += 1
        self.streams[node.name] = stream
        self.upstream_of[node.name] = up.name
        self._version += 1
        self.c.event("streaming", node.name, up.name)
        self.refresh(up)
        self.c.changed()

    def _link(self, up: str, standby: str) -> tuple[float, float]:
        """(latency, throughput) of a stream now: a frozen sender or receiver moves nothing."""
        latency, bandwidth = self.c.net.stream_link(up, standby)
        if self.c.nodes[up].frozen or self.c.nodes[standby].frozen:
            bandwidth = 1e-6
        return latency, bandwidth

    def _reopen(self, name: str) -> None:
        """The same connection at a new pace: what was shipped but not yet received is
        shipped again (a latency change must not move `received` backwards)."""
        node = self.c.nodes[name]
        t = self.c.env.now
        stream = self.streams.pop(name)
        up = self.upstream_of.pop(name)
        self._version += 1
        assert node.standby is not None
        node.standby.detach(t, stream.received(t))
        node.upstream = up
        self._connect(node)

    def _disconnect(self, name: str, keep: float, hung: bool = False) -> None:
        """End a standby's stream. `hung`: the standby went silent rather than closing the
        connection, so its primary keeps waiting on it until wal_sender_timeout."""
        node = self.c.nodes[name]
        up = self.upstream_of.pop(name)
        self.streams.pop(name)
        self._version += 1
        assert node.standby is not None
        t = self.c.env.now
        node.standby.detach(t, keep)
        self.c.event("stream_lost", name, up)
        if hung and self.c.nodes[up].writable:
            self.hung[name] = (up, t)
            self.c.env.process(self._walsender_timeout(name, t))
        self.refresh(self.c.nodes[up])

    def _walsender_timeout(self, name: str, since: float) -> Generator[Any, Any, None]:
        timeout = self.c.topo.database.wal_sender_timeout
        now = self.c.env.now
        yield self.c.env.timeout(timeout if now == since else since + timeout - now)
        if self.hung.get(name, ("", -1.0))[1] != since:
            return
        up, _ = self.hung.pop(name)
        self._version += 1
        self.c.event("walsender_timeout", up, name)
        self.refresh(self.c.nodes[up])
        self.c.changed()

    # --- notifications from nodes and the network ----------------------------------------

    def standby_ready(self, node: DbNode) -> None:
        """A standby started (or was told a new upstream): try to connect."""
        if node.name in self.streams and self.upstream_of[node.name] != node.upstream:
            stream = self.streams[node.name]
            self._disconnect(node.name, stream.received(self.c.env.now))
        self._poke(node.name)

    def follow(self, node: DbNode, upstream: str | None) -> None:
        """Point a standby at a new upstream (primary_conninfo)."""
        if node.upstream == upstream:
            return
        node.upstream = upstream
        self.standby_ready(node)

    def standby_stopped(self, node: DbNode, keep_flushed: bool, hung: bool = False) -> None:
        """A standby's process stops: it keeps what it flushed (crash) or received. `hung`:
        its host died, so the primary hears nothing (no reset) and keeps waiting."""
        if node.name in self.streams:
            t = self.c.env.now
            stream = self.streams[node.name]
            keep = stream.flushed(t) if keep_flushed else stream.received(t)
            self._disconnect(node.name, keep, hung)

    def primary_stopped(self, primary: DbNode) -> None:
        """The sender died: every standby keeps what had been sent (it arrives)."""
        t = self.c.env.now
        for name in [n for n, up in sorted(self.upstream_of.items()) if up == primary.name]:
            self._disconnect(name, self.streams[name].sent(t))
        for name in [n for n, (up, _) in sorted(self.hung.items()) if up == primary.name]:
            del self.hung[name]
            self._version += 1
        self.semisync_on.pop(primary.name, None)

    def drain_s(self, primary: DbNode) -> float:
        """How long the walsenders need to ship what the primary wrote and has not sent."""
        t = self.c.env.now
        return max(
            (
                self.streams[n].backlog(t) / self.streams[n].bandwidth
                for n in self.standbys_of(primary)
                if n in self.streams
            ),
            default=0.0,
        )

    def primary_started(self, primary: DbNode) -> None:
        """A primary accepts writes: standbys pointed at it may connect."""
        self.sync_names.setdefault(primary.name, self._default_sync)
        if isinstance(self.spec, SemiSync):
            self.semisync_on[primary.name] = True
        self.refresh(primary)
        for name in sorted(self.c.nodes, key=self.c.order):
            if self.c.nodes[name].upstream == primary.name:
                self._poke(name)

    def network_changed(self) -> None:
        """Streams across a cut break; what was in flight is lost. A stream whose link got
        slower or faster goes on from what the standby received, at the new pace. Others may
        reconnect."""
        t = self.c.env.now
        for name in sorted(self.streams, key=self.c.order):
            up = self.upstream_of[name]
            stream = self.streams[name]
            if not self.c.net.connected(up, name):
                self._disconnect(name, stream.received(t), hung=True)
            elif self._link(up, name) != (stream.latency, stream.bandwidth):
                self._reopen(name)
        for name in sorted(self.c.nodes, key=self.c.order):
            if name not in self.streams and self.c.nodes[name].upstream is not None:
                self._poke(name)

    # --- the commit rule -----------------------------------------------------------------

    def held_of(self, node: str, lineage: int, t: float) -> float:
        """How far `node` holds (and has replayed) `lineage` at `t`; -inf if not at all."""
        db = self.c.nodes[node]
        limit = self.c.lineages.shared_limit(lineage, db.lineage)
        return float("-inf") if limit is None else min(limit, db.replayed(t))

    def visible_lineages(self, node: str) -> list[int]:
        """The lineages a node holds part of: its own and its ancestors."""
        return self.c.lineages.chain(self.c.nodes[node].lineage)

    def standbys_of(self, primary: DbNode) -> list[str]:
        """Standbys of the cluster the primary lists as connected (pg_stat_replication):
        streaming, or hung until wal_sender_timeout; in file order. Kept until a connection
        changes: every commit under synchronous replication asks."""
        listed = self._listed.get(primary.name)
        if listed is None or self._listed_version != self._version:
            if self._listed_version != self._version:
                self._listed.clear()
                self._listed_version = self._version
            names = [n for n, up in self.upstream_of.items() if up == primary.name]
            names += [n for n, (up, _) in self.hung.items() if up == primary.name]
            # A standby cluster's nodes and delayed replicas are always asynchronous: no
            # commit rule counts them.
            names = [n for n in names if n not in self.c.dr_nodes and n not in self.c.delayed]
            listed = self._listed[primary.name] = sorted(names, key=self.c.order)
        return listed

    def _stream(self, name: str, now: float) -> WalStream | None:
        stream = self.streams.get(name)
        # Each acknowledgement query leaves a breakpoint; keep the last half-minute, which
        # covers every commit still waiting (they time out after a statement timeout).
        if stream is not None and stream.breakpoints() > 4096:
            standby = self.c.nodes[name].standby
            assert standby is not None
            standby.trim(now - 30.0)
        return stream

    def _flush_ack(self, name: str, lsn: float, t_commit: float, now: float) -> float:
        stream = self._stream(name, now)
        return INF if stream is None else stream.flush_ack_at(lsn, t_commit, now)

    def _receive_ack(self, name: str, lsn: float, t_commit: float, now: float) -> float:
        stream = self._stream(name, now)
        return INF if stream is None else stream.receive_ack_at(lsn, t_commit, now)

    def set_sync_names(self, primary: DbNode, names: list[str] | str) -> None:
        """The failover controller changes the sync set (synchronous_standby_names)."""
        if self.sync_names.get(primary.name) != names:
            self.sync_names[primary.name] = names
            self.c.event(
                "sync_set", primary.name, ",".join(names) if isinstance(names, list) else names
            )
            self.refresh(primary)
            self.c.changed()

    def _relaxed(self, primary: DbNode) -> bool:
        """An empty sync set means async (synchronous_standby_names = '')."""
        return self.sync_names.get(primary.name, self._default_sync) == []

    def _sync_candidates(self, primary: DbNode) -> list[str]:
        names = self.sync_names.get(primary.name, self._default_sync)
        streaming = self.standbys_of(primary)
        if names == "*":
            return streaming
        return [n for n in names if n in streaming]

    def waits_forever(self, primary: DbNode) -> bool:
        """Whether no commit on `primary` can be acknowledged with today's connections."""
        spec = self.spec
        if isinstance(spec, Sync) and not self._relaxed(primary):
            return len(self._sync_candidates(primary)) < spec.num_sync
        return False

    def refresh(self, primary: DbNode) -> None:
        # With no one to wait for, every session blocks in its commit, so the application's
        # writes stop too; while commits wait for standbys, it writes no faster than they
        # receive.
        if primary.log is not None:
            growing = primary.writable and not primary.frozen and not self.waits_forever(primary)
            primary.log.set_growing(self.c.env.now, growing, self._cap(primary))

    def _cap(self, primary: DbNode) -> float | None:
        spec = self.spec
        if isinstance(spec, Sync):
            names = self._sync_candidates(primary)
            if self._relaxed(primary) or not names:
                return None
            speeds = [self.streams[n].bandwidth if n in self.streams else 0.0 for n in names]
            if spec.method == "first":
                return min(speeds[: spec.num_sync])
            fastest = sorted(speeds, reverse=True)
            return fastest[spec.num_sync - 1] if len(fastest) >= spec.num_sync else None
        if isinstance(spec, SemiSync) and self.semisync_on.get(primary.name, False):
            streams = [self.streams[n] for n in self.standbys_of(primary) if n in self.streams]
            fastest = sorted((s.bandwidth for s in streams), reverse=True)
            return fastest[spec.wait_for - 1] if len(fastest) >= spec.wait_for else None
        return None

    def ack_at(self, primary: DbNode, lsn: float, t_commit: float, now: float) -> float:
        """When a commit at `lsn` (made durable locally at `t_commit`) is acknowledged, with the
        connections as they are at `now`; inf while it cannot be."""
        spec = self.spec
        if isinstance(spec, Sync) and not self._relaxed(primary):
            cands = self._sync_candidates(primary)
            if len(cands) < spec.num_sync:
                return INF
            times = [self._flush_ack(n, lsn, t_commit, now) for n in cands]
            if spec.method == "first":
                return max(t_commit, max(times[: spec.num_sync]))
            return max(t_commit, sorted(times)[spec.num_sync - 1])
        if isinstance(spec, SemiSync):
            return self._semisync_ack(primary, spec, lsn, t_commit, now)
        return t_commit

    def _semisync_ack(
        self, primary: DbNode, spec: SemiSync, lsn: float, t_commit: float, now: float
    ) -> float:
        streams = [self.streams[n] for n in self.standbys_of(primary) if n in self.streams]
        if not self.semisync_on.get(primary.name, False):
            # Back to semi-sync once a replica has caught up with the primary.
            if any(s.backlog(now) <= 0.0 for s in streams):
                self.semisync_on[primary.name] = True
                self.c.event("semi_sync_on", primary.name)
                self.refresh(primary)
            else:
                return t_commit
        # A hung replica still counts as connected: its ack never comes.
        names = self.standbys_of(primary)
        times = sorted(self._receive_ack(n, lsn, t_commit, now) for n in names)
        t_ack = times[spec.wait_for - 1] if len(times) >= spec.wait_for else INF
        deadline = t_commit + spec.timeout
        if t_ack <= deadline:
            return max(t_ack, t_commit)
        if self._semisync_timer.get(primary.name, INF) > deadline:
            self._semisync_timer[primary.name] = deadline
            self.c.env.process(self._semisync_timeout(primary, lsn, t_commit, deadline))
        return deadline

    def _semisync_timeout(
        self, primary: DbNode, lsn: float, t_commit: float, at: float
    ) -> Generator[Any, Any, None]:
        yield self.c.env.timeout(at - self.c.env.now)
        self._semisync_timer.pop(primary.name, None)
        if not self.semisync_on.get(primary.name, False) or not primary.writable:
            return
        spec = self.spec
        assert isinstance(spec, SemiSync)
        names = self.standbys_of(primary)
        times = sorted(self._receive_ack(n, lsn, t_commit, self.c.env.now) for n in names)
        if len(times) < spec.wait_for or times[spec.wait_for - 1] > at:
            self.semisync_on[primary.name] = False
            self.c.event("semi_sync_off", primary.name, "timeout")
            self.refresh(primary)
            self.c.changed()


class NoStandbys:
    """The single-primary notions that every-primary replication (multi-primary,
    leaderless) has no use for: no standbys, no upstream, no sync set."""

    def standby_stopped(self, node: DbNode, keep_flushed: bool, hung: bool = False) -> None:
        """No standbys: nothing to do."""

    def standby_ready(self, node: DbNode) -> None:
        """No standbys: nothing to do."""

    def follow(self, node: DbNode, upstream: str | None) -> None:
        """No upstream: every node takes requests."""

    def set_sync_names(self, primary: DbNode, names: list[str] | str) -> None:
        """No sync set."""

    def waits_forever(self, primary: DbNode) -> bool:
        return False
