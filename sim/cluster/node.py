"""A database node: its process state, role, lineage and log positions, and the steps of its
life cycle (start with crash recovery, promote, demote, rewind, re-clone).

Each step is a simpy process guarded by the node's `epoch`: a crash bumps it, so a step in
progress notices and abandons its remaining work instead of acting on a dead process.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.wal import PrimaryLog, StandbyLog

if TYPE_CHECKING:
    from sim.cluster.core import Cluster

Steps = Generator[Any, Any, Any]


class DbNode:
    """The database process on one db host."""

    def __init__(self, cluster: Cluster, name: str, lineage: int, primary: bool) -> None:
        self.c = cluster
        self.name = name
        self.spec = cluster.topo.database
        self.epoch = 0
        # Bumped whenever the process stops: sessions opened before are gone.
        self.incarnation = 0
        self.process = "running"  # stopped | starting | running | stopping | draining
        self.role = "primary" if primary else "replica"
        self.lineage = lineage
        self.busy: str | None = None  # promoting | stopping | rewinding | cloning | starting
        # A frozen process (SIGSTOP, a long GC) answers nothing until it thaws; what reached
        # it meanwhile is handled from `thawed_at` on.
        self.frozen = False
        self.thawed_at = float("-inf")
        self.upstream: str | None = None
        # A rewind or re-clone under way: when it ends, and the node it rejoins.
        self.rejoining: tuple[float, DbNode] | None = None
        # Its disk was lost: it holds nothing until a re-clone.
        self.wiped = False
        self.log: PrimaryLog | None = None
        self.standby: StandbyLog | None = None
        if primary:
            self.log = PrimaryLog(cluster.schedule, lineage, 0.0, 0.0)
            self.log.set_growing(0.0, True)
            cluster.log_started(name, self.log)
        else:
            self.standby = self._standby_log(lineage, 0.0, 0.0)

    # --- what the node is now ------------------------------------------------------------

    @property
    def host_up(self) -> bool:
        return self.c.net.up[self.name]

    @property
    def serving(self) -> bool:
        """Accepting statements (reads anywhere, writes on a primary)."""
        return self.process in ("running", "stopping")

    @property
    def healthy(self) -> bool:
        """Host on, database running and not frozen: nothing a failover would repair, whether
        or not it still takes writes (a leader that stepped down on delayed heartbeats)."""
        return self.c.net.up[self.name] and self.serving and not self.frozen

    @property
    def promotable(self) -> bool:
        """A running standby with nothing under way that holds data of its own: what a
        failover may promote (one whose disk was lost must re-clone first)."""
        return self.role == "replica" and self.serving and self.busy is None and not self.wiped

    @property
    def writable(self) -> bool:
        """Accepting and acknowledging writes: a running (or still stopping) primary."""
        return self.role == "primary" and self.serving

    def position(self, t: float) -> float:
        """The LSN this node holds on its lineage: written (primary) or received (standby)."""
        if self.log is not None:
            return self.log.value(t)
        assert self.standby is not None
        return self.standby.received(t)

    def replayed(self, t: float) -> float:
        """What a read on this node sees: its LSN (primary) or its replayed LSN (standby)."""
        if self.log is not None:
            return self.log.value(t)
        assert self.standby is not None
        return self.standby.applied(t)

    def _standby_log(self, lineage: int, t: float, position: float) -> StandbyLog:
        """A standby's log from `position` (applied as late as its apply delay says)."""
        delay = self.c.delayed.get(self.name, 0.0)
        return StandbyLog(lineage, t, position, self.spec.apply_rate, delay)

    def empty_log(self, t: float) -> StandbyLog:
        """The log of a node whose disk was wiped or never held the database: nothing of the
        run past its start."""
        return self._standby_log(self.lineage, t, 0.0)

    def _record_role(self, role: str) -> None:
        t = self.c.env.now
        self.c.record_role(self.name, role, self.lineage, self.position(t))

    # --- transitions ---------------------------------------------------------------------

    def freeze(self) -> None:
        self.frozen = True
        if self.log is not None:
            self.c.replication.refresh(self)
        self.c.changed()

    def thaw(self) -> None:
        self.frozen = False
        self.thawed_at = self.c.env.now
        if self.log is not None:
            self.c.replication.refresh(self)
        self.c.changed()

    def crash(self, host_down: bool) -> None:
        """The process dies (with its host, or alone): nothing more is written or received;
        a standby keeps what it had flushed."""
        t = self.c.env.now
        self.epoch += 1
        self.busy = None
        self.rejoining = None
        if self.process != "stopped":
            self._stop_now(t, keep_flushed=True, hung=host_down)
        self.c.record_role(
            self.name, "down" if host_down else "stopped", self.lineage, self.position(t)
        )
        self.c.changed()

    def _stop_now(self, t: float, keep_flushed: bool, hung: bool = False) -> None:
        self.process = "stopped"
        self.incarnation += 1
        if self.log is not None:
            self.log.set_growing(t, False)
            self.c.replication.primary_stopped(self)
        elif self.standby is not None:
            self.c.replication.standby_stopped(self, keep_flushed, hung)

    def recovery_s(self, t: float) -> float:
        """Crash recovery replays the WAL written since the last checkpoint."""
        spec = self.spec
        since = t % spec.checkpoint_timeout
        wal = self.c.schedule.cumulative(t) - self.c.schedule.cumulative(max(t - since, 0.0))
        return min(wal, spec.max_wal_size) / spec.apply_rate

    def start(self, as_primary: bool, upstream: str | None = None) -> Steps:
        """Start the process: as the primary it was (same lineage, crash recovery first) or as
        a read-only standby following `upstream` (or nobody)."""
        epoch = self.epoch
        self.busy = "starting"
        self.process = "starting"
        self._record_role("starting")
        yield self.c.env.timeout(self.spec.start + self.recovery_s(self.c.env.now))
        if epoch != self.epoch:
            return
        t = self.c.env.now
        self.busy = None
        self.process = "running"
        if as_primary and self.log is not None:
            self.role = "primary"
            self.log.set_growing(t, True)
            self._record_role("primary")
            self.c.replication.primary_started(self)
        else:
            self.become_standby(t, upstream)
        self.c.changed()

    def become_standby(self, t: float, upstream: str | None) -> None:
        """Run as a read-only standby from the position the node holds, on its lineage."""
        position = self.position(t)
        if self.log is not None:
            self.log.set_growing(t, False)
            self.log = None
        self.role = "replica"
        self.standby = self._standby_log(self.lineage, t, position)
        self.upstream = upstream
        self._record_role("replica")
        self.c.replication.standby_ready(self)

    def promote(self) -> Steps:
        """Stop receiving, replay what was received, then open a new lineage for writes."""
        assert self.standby is not None and self.process == "running"
        epoch = self.epoch
        t = self.c.env.now
        self.busy = "promoting"
        self.upstream = None
        self.c.event("promotion_started", self.name)
        self.c.replication.standby_stopped(self, keep_flushed=False)
        fork = self.standby.received(t)
        replay_s = max(fork - self.standby.applied(t), 0.0) / self.spec.apply_rate
        yield self.c.env.timeout(replay_s + self.spec.promote)
        if epoch != self.epoch:
            return
        t = self.c.env.now
        self.lineage = self.c.lineages.fork(self.lineage, fork, t, self.name)
        self.standby = None
        self.log = PrimaryLog(self.c.schedule, self.lineage, t, fork)
        self.log.set_growing(t, True)
        self.c.log_started(self.name, self.log)
        self.role = "primary"
        self.busy = None
        self._record_role("primary")
        self.c.event("promotion_done", self.name, f"lineage {self.lineage}")
        self.c.replication.primary_started(self)
        self.c.changed()

    def demote(self, then_standby: bool = True) -> Steps:
        """Fast shutdown: the node keeps acknowledging writes until it has stopped; then it
        starts again as a standby with no upstream (or stays stopped)."""
        epoch = self.epoch
        self.busy = "stopping"
        self.process = "stopping"
        self._record_role("demoting")
        self.c.changed()
        yield self.c.env.timeout(self.spec.stop)
        if epoch != self.epoch:
            return
        if self.log is not None:
            # A clean shutdown lets the walsenders ship every remaining WAL record to the
            # connected standbys before the process exits; no new statement runs meanwhile.
            self.process = "draining"
            self.log.set_growing(self.c.env.now, False)
            self.c.changed()
            yield self.c.env.timeout(self.c.replication.drain_s(self))
            if epoch != self.epoch:
                return
        t = self.c.env.now
        self._stop_now(t, keep_flushed=False)
        self.busy = None
        self._record_role("stopped")
        self.c.changed()
        if then_standby:
            yield from self.start(as_primary=False)

    def step_down(self) -> None:
        """Stop taking writes at once and go on as a standby of nobody (a Raft leader that
        saw a higher term, a primary told so by its controller): no restart."""
        t = self.c.env.now
        if self.log is not None:
            self.log.set_growing(t, False)
            self.c.replication.primary_stopped(self)
        self.become_standby(t, None)
        self.c.changed()

    def wipe(self) -> None:
        """The disk is lost with the data on it (the host is down): once back, the node
        holds nothing, and only a re-clone from a running node gives it data again."""
        self.c.event("disk_lost", self.name)
        self.wiped = True
        self.log = None
        self.standby = self.empty_log(self.c.env.now)

    @property
    def rejoin_method(self) -> str:
        """How the node rejoins: by the topology's rule, or by a re-clone when its data is
        gone (there is nothing to rewind)."""
        return "reclone" if self.wiped else self.spec.rejoin

    def rejoin(self, target: DbNode) -> Steps:
        """Rejoin the lineage of `target`: rewind to where the histories part (discarding this
        node's own later WAL) or re-clone, then follow it."""
        epoch = self.epoch
        if self.process != "stopped":
            if self.process in ("running", "stopping", "draining"):
                self._stop_now(self.c.env.now, keep_flushed=False)
            self._record_role("stopped")
        self.process = "stopped"
        method = self.rejoin_method
        self.busy = "rewinding" if method == "rewind" else "cloning"
        self._record_role("rejoining")
        wait = self.spec.rewind if method == "rewind" else self.spec.size / self.spec.clone_rate
        self.rejoining = (self.c.env.now + wait, target)
        yield self.c.env.timeout(wait)
        yield from self._rejoined(epoch)

    def rebase(self) -> None:
        """Incident window start: a rewind or re-clone under way goes on to its end (a
        re-clone of terabytes takes hours, which need not be simulated second by second)."""
        if self.rejoining is not None:
            self.c.env.process(self._resume_rejoin(self.epoch, self.rejoining[0]))

    def _resume_rejoin(self, epoch: int, until: float) -> Steps:
        yield self.c.env.timeout(until - self.c.env.now)
        yield from self._rejoined(epoch)

    def _rejoined(self, epoch: int) -> Steps:
        if epoch != self.epoch or self.rejoining is None:
            return
        target = self.rejoining[1]
        self.rejoining = None
        method = self.rejoin_method
        self.wiped = False
        t = self.c.env.now
        if method == "rewind":
            position = self.c.lineages.common_position(self.lineage, target.lineage)
        else:
            position = target.position(t)
        self.c.event(f"{method}_done", self.name, f"to lineage {target.lineage}")
        self.log = None
        # Rewound to where the histories part, it holds the target's history up to there:
        # it is on the target's lineage (staying on its own would leave a node that had been
        # promoted on a sibling branch unable to follow, rewinding again and again).
        self.lineage = target.lineage
        self.standby = self._standby_log(self.lineage, t, position)
        yield from self.start(as_primary=False, upstream=target.name)

    def follows_cleanly(self, target: DbNode) -> bool:
        """Whether the node can follow `target` without a rewind, asked without advancing any
        stream (a quiet check must not leave breakpoints that a simulated stretch would not):
        a standby streaming from it does."""
        standby = self.standby
        if standby is not None and standby.stream is not None and self.upstream == target.name:
            return True
        return not self.needs_rejoin(target)

    def open_restored(self, parent: int, point: float) -> int:
        """The end of a restore's recovery: the node opens for writes on a new lineage that
        forks from `parent` at `point`; returns the lineage."""
        t = self.c.env.now
        self.epoch += 1
        self.incarnation += 1
        self.lineage = self.c.lineages.fork(parent, point, t, self.name)
        self.standby = None
        self.upstream = None
        self.log = PrimaryLog(self.c.schedule, self.lineage, t, point)
        self.log.set_growing(t, True)
        self.c.log_started(self.name, self.log)
        self.role = "primary"
        self.process = "running"
        self.busy = None
        self._record_role("primary")
        self.c.replication.primary_started(self)
        self.c.changed()
        return self.lineage

    def needs_rejoin(self, target: DbNode) -> bool:
        """Whether following `target` requires discarding WAL first (diverged lineage), or
        a re-clone (the disk was lost)."""
        if self.wiped:
            return True
        t = self.c.env.now
        return not self.c.lineages.can_follow(self.lineage, self.position(t), target.lineage)
