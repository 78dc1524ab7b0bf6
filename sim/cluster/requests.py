"""A client statement's journey: connect, request, commit, acknowledgement, reply.

A request is planned when it is issued, from the state of the cluster at that instant: its
arrival at the node, its commit (durable locally after the WAL flush), its acknowledgement (the
replication mode's rule) and the reply's arrival, each hop's latency drawn once. When anything
it depends on changes before the reply arrives, `revise` re-plans it from the phase it is in:

- still connecting: connect again from now;
- request in flight: lost if a hop was cut, else it meets the node as the node is now;
- at the node before the commit: the node as it is now decides (down: no answer; stopped:
  reset; read-only: error);
- committed, waiting for acknowledgement: the commit stays; a crash means no answer, a stopped
  process a reset, otherwise the acknowledgement time is recomputed;
- reply in flight: lost if a hop was cut;
- a session the proxy closed: the client hears the reset.
An answer that cannot arrive before the statement timeout leaves the client with `info`.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from math import exp
from typing import TYPE_CHECKING

from sim.cluster.core import Controller
from sim.cluster.hotkeys import Version
from sim.cluster.leaderless import LeaderlessReplication
from sim.cluster.routing import Session
from sim.history import NO_LINEAGE, Commit, Op
from sim.wal import INF

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode


_new_row = tuple.__new__


class Aux:
    """What a hot-counter update or a leaderless write plans beyond a plain commit: its
    version (published when planned, retracted if cancelled), the other replicas' commits,
    and when the w-th ack comes back."""

    __slots__ = ("planned_ack", "replicas", "version")

    def __init__(self) -> None:
        self.version: Version | None = None
        self.replicas: Sequence[tuple[str, int, float, float]] = ()
        self.planned_ack = float("-inf")


class Request:
    """One statement attempt and its plan."""

    __slots__ = (
        "attempt",
        "aux",
        "back",
        "client",
        "commit",
        "connect_timeout",
        "deadline",
        "error",
        "f",
        "fwd",
        "id",
        "key",
        "lineage",
        "lsn",
        "node",
        "outcome",
        "own",
        "session",
        "site",
        "statement_timeout",
        "t_ack",
        "t_arrive",
        "t_commit",
        "t_done",
        "t_invoke",
        "t_ready",
        "value",
        "via",
    )

    def __init__(
        self,
        id: int,
        client: str,
        site: str,
        via: str | None,
        f: str,
        key: int,
        attempt: int,
        t_invoke: float,
        connect_timeout: float,
        statement_timeout: float,
        session: Session | None,
    ) -> None:
        self.id = id
        self.client = client
        self.site = site
        self.via = via
        self.f = f
        self.key = key
        self.attempt = attempt
        self.t_invoke = t_invoke
        self.connect_timeout = connect_timeout
        self.statement_timeout = statement_timeout
        self.session = session
        self.t_ready = t_invoke
        self.deadline = INF
        self.t_arrive = INF
        self.t_commit = INF
        self.t_ack = INF
        self.t_done = INF
        self.fwd = 0.0
        self.back = 0.0
        self.outcome = "info"
        self.error = ""
        self.node = ""
        self.lineage = NO_LINEAGE
        self.lsn = -1
        self.commit: tuple[str, int, float, float] | None = None
        self.value = -1
        self.own: tuple[int, float] = (NO_LINEAGE, -1.0)
        # Only for hot-counter updates and leaderless writes (most requests need none).
        self.aux: Aux | None = None

    def state(self) -> tuple[float, str, str]:
        return (self.t_done, self.outcome, self.error)


class RequestService:
    """Plans and re-plans client requests against the cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.c = cluster
        self._rng = cluster.rng("requests")
        rep = cluster.replication
        self.leaderless = rep if isinstance(rep, LeaderlessReplication) else None
        # A family that may refuse writes (too few replicas) is asked; the others are not.
        controller = cluster.controller
        refuses = type(controller).accepts_writes is not Controller.accepts_writes
        self._gate = controller.accepts_writes if refuses else None
        refuses = type(controller).serves_reads is not Controller.serves_reads
        self._read_gate = controller.serves_reads if refuses else None
        self._objects = cluster.objects

    # --- planning ------------------------------------------------------------------------

    def start(self, req: Request, now: float) -> None:
        """Plan `req`, issued at `now`."""
        session = req.session
        if session is None or session.killed_at <= now:
            req.session = None
            conn = self.c.router.connect(
                req.client, req.via, now, req.connect_timeout, reads=req.f == "read"
            )
            if conn.session is None:
                self._finish(req, "fail", conn.t, conn.error)
                return
            req.session = conn.session
            req.t_ready = conn.t
        else:
            req.t_ready = now
        req.deadline = req.t_ready + req.statement_timeout
        self._draw_hops(req)
        self._send(req, now)

    def _draw_hops(self, req: Request) -> None:
        session = req.session
        assert session is not None
        if session.fwd_path is None:
            net = self.c.net
            hops = (
                (session.client, session.backend)
                if session.via is None
                else (session.client, session.via, session.backend)
            )
            back = tuple(reversed(hops))
            session.fwd_pairs = tuple(pairwise(hops))
            session.back_pairs = tuple(pairwise(back))
            session.fwd_path = net.path(hops)
            session.back_path = net.path(back)
        normal = self._rng.normal
        fwd, back = session.fwd_path, session.back_path
        assert back is not None
        req.fwd = fwd.median_s * exp(fwd.sigma * normal())
        req.back = back.median_s * exp(back.sigma * normal())
        net = self.c.net
        if net.impaired:
            req.fwd += net.penalty(session.fwd_pairs, self._rng)
            req.back += net.penalty(session.back_pairs, self._rng)

    def _path_ok(self, req: Request, forward: bool) -> bool:
        net = self.c.net
        if net.pristine:
            return True
        session = req.session
        assert session is not None
        up, drops = net.up, net.drops
        for a, b in session.fwd_pairs if forward else session.back_pairs:
            if not (up[a] and up[b]) or (drops and (a, b) in drops):
                return False
        return True

    def _send(self, req: Request, now: float) -> None:
        if not self._path_ok(req, forward=True):
            self._finish(req, "info", req.deadline, "timeout")
            return
        req.t_arrive = req.t_ready + req.fwd
        self._at_node(req, now)

    def _at_node(self, req: Request, now: float) -> None:
        """The node, as it is at `now`, handles the request arriving at `req.t_arrive`."""
        session = req.session
        assert session is not None
        node = self.c.nodes[session.backend]
        req.node = node.name
        if not self.c.net.up[node.name]:
            self._finish(req, "info", req.deadline, "timeout")
            return
        process = node.process
        if (
            process != "running" and process != "stopping"
        ) or node.incarnation != session.incarnation:
            # The process died or restarted since the session opened: the host answers with
            # a reset, which the client cannot tell from a failure after the statement ran.
            self._finish(req, "info", req.t_arrive + req.back, "reset")
            return
        if node.frozen:
            # It sits in the socket until the process thaws (then the request is re-planned).
            self._finish(req, "info", req.deadline, "timeout")
            return
        start = max(req.t_arrive, node.thawed_at)
        objects = self._objects
        if (
            objects.events
            and req.f != "incr"
            and objects.missing(node, req.key, node.replayed(start))
        ):
            # Logical corruption removed the object this probe reads or writes.
            self._finish(req, "fail", start + req.back, "no-such-object")
            return
        if req.f == "read":
            if self.leaderless is not None:
                self._fan_in(req, node, start)
                return
            if self._read_gate is not None and not self._read_gate(node):
                self._finish(req, "fail", start + req.back, "not-leader")
                return
            t = start
            req.lineage = node.lineage
            seen = node.replayed(max(t, now))
            req.lsn = round(seen)
            if req.key:
                # A probe read asks for the client's own last acknowledged write (key, at the
                # position it was acknowledged at): is it visible on this node?
                own_lineage, own_lsn = req.own
                if own_lineage == node.lineage:
                    req.value = int(own_lsn <= seen + 0.5)
                else:
                    limit = self.c.lineages.shared_limit(own_lineage, node.lineage)
                    req.value = int(limit is not None and own_lsn <= min(limit, seen) + 0.5)
            self._reply(req, t, "ok")
            return
        log = node.log
        if node.role != "primary" or log is None:
            self._finish(req, "fail", start + req.back, "read-only")
            return
        if self._gate is not None and not self._gate(node):
            self._finish(req, "fail", start + req.back, "no-replicas")
            return
        if req.f == "write" and self.leaderless is None:
            # The common case, kept inline: commit on the node's log.
            t_commit = req.t_commit = start + node.spec.wal_fsync
            lsn = log.value(t_commit)
            req.commit = (node.name, node.lineage, lsn, t_commit)
            req.lineage = node.lineage
            req.lsn = round(lsn)
            self._await_ack(req, node, now)
            return
        self._write(req, node, start, now)

    def _write(self, req: Request, node: DbNode, start: float, now: float) -> None:
        """Commit on the node's log (at a hot counter, a read-modify-write: last writer wins);
        a leaderless coordinator sends it to the row's replicas instead."""
        assert node.log is not None
        t_commit = req.t_commit = start + node.spec.wal_fsync
        lsn = node.log.value(t_commit)
        version = None
        if req.f == "incr":
            if self.leaderless is not None:
                readers = self.leaderless.read_replicas(node.name, req.key) or [node.name]
                seen = max(self.c.hotkeys.read(r, req.key, start) for r in readers)
            else:
                seen = self.c.hotkeys.read(node.name, req.key, start)
            req.value = seen + 1
            version = Version(t_commit, node.name, node.lineage, lsn, req.value)
            self.c.hotkeys.write(req.key, version)
            req.aux = Aux()
            req.aux.version = version
        if self.leaderless is not None:
            plan = self.leaderless.plan_write(node.name, req.key, t_commit, version)
            if plan is None:
                self._cancel(req)
                self._finish(req, "fail", start + req.back, "unavailable")
                return
            commits = []
            for replica, applied, _ in plan:
                lineage, at = self.leaderless.commit_at(replica, applied)
                commits.append((replica, lineage, at, applied))
                if version is not None:
                    self.c.hotkeys.apply(replica, req.key, version, applied)
                else:
                    self.leaderless.mark(replica, req.key, applied)
            req.commit = commits[0]
            aux = req.aux = req.aux or Aux()
            aux.replicas = commits[1:]
            req.lineage, req.lsn = commits[0][1], round(commits[0][2])
            aux.planned_ack = self.leaderless.planned_ack(node.name, req.key, plan)
        else:
            req.commit = (node.name, node.lineage, lsn, t_commit)
            req.lineage = node.lineage
            req.lsn = round(lsn)
        self._await_ack(req, node, now)

    def _fan_in(self, req: Request, node: DbNode, start: float) -> None:
        """A leaderless read: ask the `r` nearest live replicas of the row; the newest
        version wins, so the client's own write is seen if any of them has it."""
        assert self.leaderless is not None and node.log is not None
        replicas = [node.name]
        if req.key:
            asked = self.leaderless.read_replicas(node.name, req.key)
            if asked is None:
                self._finish(req, "fail", start + req.back, "unavailable")
                return
            replicas = asked
        net = self.c.net
        rtt = max(
            (0.0 if r == node.name else net.median(node.name, r) + net.median(r, node.name))
            for r in replicas
        )
        if req.key:
            req.value = int(any(self.leaderless.has(r, req.key, start + rtt / 2) for r in replicas))
        req.lineage, req.lsn = node.lineage, round(node.log.value(start))
        self._reply(req, start + rtt, "ok")

    def _cancel(self, req: Request) -> None:
        """The planned commit did not happen: retract what it published."""
        aux = req.aux
        if aux is not None and aux.version is not None:
            self.c.hotkeys.retract(req.key, aux.version)
        elif self.leaderless is not None and req.commit is not None:
            replicas = aux.replicas if aux is not None else ()
            for replica, _, _, applied in [req.commit, *replicas]:
                self.leaderless.unmark(replica, req.key, applied)
        req.commit = None
        req.aux = None

    def _await_ack(self, req: Request, node: DbNode, now: float) -> None:
        assert req.commit is not None
        if node.frozen:
            # Committed, but a frozen process sends no answer until it thaws.
            self._finish(req, "info", req.deadline, "timeout")
            return
        lsn, t_commit = req.commit[2], req.commit[3]
        # Re-planned at `now` (a standby came back, the sync set was relaxed): the primary
        # learns it may acknowledge no earlier than now.
        t_ack = self.c.replication.ack_at(node, lsn, t_commit, max(now, t_commit))
        if req.aux is not None:
            t_ack = max(t_ack, req.aux.planned_ack)
        req.t_ack = max(t_ack, now)
        self._reply(req, req.t_ack, "ok")

    def _reply(self, req: Request, t_sent: float, outcome: str) -> None:
        if not self._path_ok(req, forward=False):
            self._finish(req, "info", req.deadline, "timeout")
            return
        self._finish(req, outcome, t_sent + req.back, "")

    def _finish(self, req: Request, outcome: str, t: float, error: str) -> None:
        if t > req.deadline and req.deadline < INF:
            outcome, t, error = "info", req.deadline, "timeout"
        req.outcome = outcome
        req.t_done = t
        req.error = error
        if outcome != "ok" and req.f == "read":
            req.lineage, req.lsn, req.value = NO_LINEAGE, -1, -1

    # --- re-planning ---------------------------------------------------------------------

    def revise(self, req: Request, now: float) -> bool:
        """Re-plan `req` after a change at `now`; whether its outcome or timing changed."""
        if req.t_done <= now:
            return False
        before = req.state()
        session = req.session
        if session is not None and session.killed_at <= now and req.t_ready <= now:
            if now < req.t_arrive:
                self._cancel(req)
            self._finish(req, "info", now + req.back / 2, "reset")
        elif now < req.t_ready or session is None:
            # Still connecting: the half-open session is dropped and the client connects anew.
            self._cancel(req)
            req.session = None
            req.t_arrive = req.t_commit = req.t_ack = INF
            self.start(req, now)
        elif now < req.t_arrive:
            self._cancel(req)
            self._send(req, now)
        elif req.commit is None or now < req.t_commit:
            self._cancel(req)
            self._at_node(req, now)
        elif now < req.t_ack:
            node = self.c.nodes[req.node]
            if not node.host_up:
                self._finish(req, "info", req.deadline, "timeout")
            elif not node.serving or node.incarnation != session.incarnation:
                self._finish(req, "info", now + req.back, "reset")
            elif node.role != "primary":
                # It stepped down with the commit made but not acknowledged: the client gets
                # an error and never learns whether the write is there.
                self._finish(req, "info", now + req.back, "not-leader")
            else:
                self._await_ack(req, node, now)
        elif not self._path_ok(req, forward=False):
            self._finish(req, "info", req.deadline, "timeout")
        return req.state() != before

    def kill_sessions(self, proxy: str, backend: str) -> None:
        """The proxy closes every session it holds to `backend` (shutdown-sessions)."""
        now = self.c.env.now
        for session in self.c.workload_sessions():
            if session.via == proxy and session.backend == backend:
                session.killed_at = min(session.killed_at, now)

    # --- recording -----------------------------------------------------------------------

    def record(self, req: Request) -> None:
        """Write the finished attempt (and its commit, if one happened) to the history."""
        h = self.c.history
        ok = req.outcome == "ok"
        # tuple.__new__ builds the row without the NamedTuple's Python-level __new__: half
        # the cost, on the one path that runs for every statement.
        row = (
            req.id,
            req.client,
            req.site,
            req.f,
            req.key,
            req.attempt,
            req.t_invoke,
            req.t_done,
            req.outcome,
            req.node,
            req.lineage if ok else NO_LINEAGE,
            req.lsn if ok else -1,
            req.error,
            req.value if ok else -1,
        )
        h.ops.append(_new_row(Op, row))
        if req.commit is not None and req.commit[3] <= req.t_done:
            node, lineage, lsn, t = req.commit
            h.commits.append(_new_row(Commit, (t, node, req.key, lineage, round(lsn))))
            for node, lineage, lsn, t in req.aux.replicas if req.aux is not None else ():
                # The other replicas apply it whether or not the client heard back.
                h.commits.append(_new_row(Commit, (t, node, req.key, lineage, round(lsn))))
