"""The `observers` failover family, with Redis Sentinel's semantics (Oracle's Fast-Start
Failover observer and Orchestrator follow the same shape).

- Each observer pings the primary it knows every `ping`; without a valid reply for
  `down_after` it holds the primary subjectively down (SDOWN). It then asks the observers it
  can reach; when `quorum` of them (itself included) hold it down, it is objectively down
  (ODOWN).
- An observer that sees ODOWN stands, after a random delay of up to a second, for leader of
  a new epoch; each observer votes once per epoch; a majority of all observers (and at least
  the quorum) makes it the leader of the failover. A failed attempt may be retried after
  `failover_timeout`.
- The leader promotes the best replica it can reach (most advanced, then file order),
  repoints the others, and publishes the new configuration (epoch, primary), which spreads
  to the observers that can hear it. An old primary that shows up again is turned into a
  replica of the new one (a full resynchronisation: its divergent writes are gone).
- With `min_replicas_to_write`, the primary refuses writes when fewer replicas have been
  heard from within `min_replicas_max_lag`: a primary cut off from its replicas stops
  acknowledging after that lag.
- With `self_fence_after`, a primary out of reach of a majority of the voters (observers and
  database nodes) for that long steps down on its own (a cluster manager's node that lost
  quorum takes its resources offline; Fast-Start Failover's primary shuts down; a cluster
  node in its failed state refuses writes). Once an observer reaches it again, it is made a
  replica of the configured primary.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.cluster.core import Controller
from sim.history import Decision
from sim.spec.failover import Observers

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode

Steps = Generator[Any, Any, Any]


class Observer:
    """One observer's view: the configuration it believes (epoch, primary), its vote, and
    what it saw of the primary."""

    def __init__(self, name: str, primary: str) -> None:
        self.name = name
        self.epoch = 0
        self.primary = primary
        self.voted_epoch = -1
        self.last_ok = 0.0
        self.sdown = False
        self.last_attempt = float("-inf")


class ObserversFamily(Controller):
    """Observers watching the primary and electing one of them to fail it over."""

    def __init__(self, cluster: Cluster, spec: Observers) -> None:
        super().__init__(cluster)
        self.spec = spec
        self.rng = cluster.rng("observers")
        primary = cluster.topo.database.initial_primary
        self.observers = {name: Observer(name, primary) for name in spec.observers}
        self.majority = len(spec.observers) // 2 + 1
        self._failing_over = False
        self._fault_at = min((f.at for f in cluster.scenario.faults), default=float("inf"))
        # When each primary lost the majority of the voters (self-fencing's clock), and the
        # nodes that fenced themselves and follow nobody yet.
        self._cut_since: dict[str, float] = {}
        self._fenced: set[str] = set()
        self._lag_timers = 0

    def start(self) -> None:
        for name in self.spec.observers:
            self.c.env.process(self._watch(self.observers[name]))
        if self.spec.min_replicas_to_write:
            self.c.on_network_change(self._lag_timer)
        if self.spec.self_fence_after is not None:
            self.c.on_network_change(self._check_isolation)

    def _lag_timer(self) -> None:
        """A replica that went silent stops counting `min_replicas_max_lag` later: look at
        the writes in flight again then."""

        def later() -> Steps:
            self._lag_timers += 1
            yield self.c.env.timeout(self.spec.min_replicas_max_lag + 1e-6)
            self._lag_timers -= 1
            self.c.changed()

        self.c.env.process(later())

    # --- incident windows ----------------------------------------------------------------

    def settled(self) -> bool:
        """No failover, fence clock or lag timer running; every live observer agrees on the
        configuration and holds its primary up; that primary is the only node taking writes,
        and every other running node replicates from it."""
        if self._failing_over or self._cut_since or self._fenced or self._lag_timers:
            return False
        live = [o for o in self.observers.values() if self._alive(o.name)]
        if not live or len({(o.epoch, o.primary) for o in live}) != 1 or any(o.sdown for o in live):
            return False
        primary = self.c.nodes[live[0].primary]
        if not primary.writable or primary.busy is not None:
            return False
        for name in self.managed():
            node = self.c.nodes[name]
            if node is primary or not node.host_up or node.rejoining is not None:
                continue
            if node.writable or node.upstream != primary.name:
                return False
            if not node.follows_cleanly(primary):
                return False
        return True

    def rebase(self) -> None:
        """Each observer's pings restart at a fresh phase."""
        for name in self.spec.observers:
            self.c.env.process(self._watch(self.observers[name]))

    # --- what an observer sees -----------------------------------------------------------

    def _alive(self, name: str) -> bool:
        return self.c.net.up[name]

    def _valid_reply(self, obs: Observer) -> bool:
        node = self.c.nodes[obs.primary]
        return self.c.net.connected(obs.name, node.name) and node.writable and not node.frozen

    def _watch(self, obs: Observer) -> Steps:
        env = self.c.env
        spec = self.spec
        yield env.timeout(self.rng.uniform(0.0, spec.ping))
        obs.last_ok = env.now
        while True:
            yield env.timeout(self.c.local(obs.name, spec.ping))
            if not self._alive(obs.name):
                continue
            self._gossip(obs)
            self._fix_strays(obs)
            if self._valid_reply(obs):
                obs.last_ok, obs.sdown = env.now, False
                continue
            # Ticks are sums of floats: a silence of exactly down_after may come out a hair
            # short, which would cost a whole extra ping.
            silence = env.now - obs.last_ok + 1e-9 * max(1.0, env.now)
            if silence < self.c.local(obs.name, spec.down_after):
                continue
            if not obs.sdown:
                obs.sdown = True
                self.c.event("sdown", obs.name, obs.primary)
            agreeing = [o for o in self._reachable(obs) if o.sdown and o.primary == obs.primary]
            if len(agreeing) >= spec.quorum and not self._failing_over:
                retry = 2 * self.c.local(obs.name, spec.failover_timeout)
                if env.now - obs.last_attempt >= retry:
                    obs.last_attempt = env.now
                    env.process(self._stand(obs))

    def _reachable(self, obs: Observer) -> list[Observer]:
        """The observers `obs` can talk to, itself included."""
        net = self.c.net
        return [
            o
            for o in self.observers.values()
            if o is obs or (self._alive(o.name) and net.connected(obs.name, o.name))
        ]

    def _gossip(self, obs: Observer) -> None:
        """Configurations spread between observers that hear each other (hello messages)."""
        newest = max(self._reachable(obs), key=lambda o: o.epoch)
        if newest.epoch > obs.epoch:
            obs.epoch, obs.primary = newest.epoch, newest.primary
            obs.last_ok, obs.sdown = self.c.env.now, False

    def _fix_strays(self, obs: Observer) -> None:
        """A node still acting as primary that is not the configured one becomes a replica
        of the configured primary (REPLICAOF); so does a primary that fenced itself, and a
        replica that follows nobody or a node that is no primary (it was re-cloning from the
        old primary while the others were repointed, or came back empty after losing its
        disk)."""
        target = self.c.nodes[obs.primary]
        if not target.writable:
            return
        for name in self.managed():
            node = self.c.nodes[name]
            if name == target.name or not self.c.net.connected(obs.name, name):
                continue
            if node.writable:
                self.c.event("reconfigured", name, f"replica of {target.name}")
                node.step_down()
                self.repoint(node, target)
            elif name in self._fenced and node.role == "replica" and node.busy is None:
                self._fenced.discard(name)
                self.c.event("reconfigured", name, f"replica of {target.name}")
                self.repoint(node, target)
            elif (
                node.role == "replica"
                and node.serving
                and node.busy is None
                and node.upstream != target.name
                and (node.upstream is None or not self.c.nodes[node.upstream].writable)
            ):
                self.c.event("reconfigured", name, f"replica of {target.name}")
                self.repoint(node, target)

    # --- the failover --------------------------------------------------------------------

    def _stand(self, obs: Observer) -> Steps:
        env = self.c.env
        if self.c.env.now >= self._fault_at:
            self.c.event("failure_detected", obs.primary, f"odown by {obs.name}")
        yield env.timeout(self.rng.uniform(0.0, 1.0))
        # Sentinel's current epoch: an attempt that won its votes but promoted nobody still
        # used up its epoch, so the next one asks for a later one (asking again for the same
        # epoch would get no vote at all, and the cluster would never fail over).
        reachable = self._reachable(obs)
        epoch = max(o.epoch for o in self.observers.values())
        epoch = max(epoch, *(o.voted_epoch for o in reachable)) + 1
        votes = 0
        for other in reachable:
            if other.voted_epoch < epoch:
                other.voted_epoch = epoch
                votes += 1
        yield env.timeout(
            2 * max((self.c.net.median(obs.name, o) for o in self.observers), default=0)
        )
        if votes < max(self.spec.quorum, self.majority) or self._failing_over:
            self.c.event("observer_election_failed", obs.name, f"epoch {epoch}: {votes} votes")
            return
        self._failing_over = True
        try:
            yield from self._fail_over(obs, epoch)
        finally:
            self._failing_over = False

    def _fail_over(self, leader: Observer, epoch: int) -> Steps:
        c = self.c
        old = c.nodes[leader.primary]
        now = c.env.now
        candidates = [
            c.nodes[n]
            for n in self.managed()
            if n != old.name and c.nodes[n].promotable and c.net.connected(leader.name, n)
        ]
        if not candidates:
            c.event("no_candidate", leader.name)
            return
        best = max(candidates, key=lambda n: (n.position(now), -c.order(n.name)))
        reaching = sum(
            1
            for o in self.observers.values()
            if self._alive(o.name) and c.net.connected(o.name, old.name)
        )
        c.history.decisions.append(
            Decision(
                now,
                best.name,
                old.name,
                old.healthy,
                reaching,
                len(self.observers),
            )
        )
        c.event("leader_elected", best.name, f"by {leader.name}, epoch {epoch}")
        if not (yield from self.c.fence(old)):
            return
        yield c.env.process(best.promote())
        if not best.writable:
            return
        for o in self._reachable(leader):
            o.epoch, o.primary, o.sdown, o.last_ok = epoch, best.name, False, c.env.now
        for name in self.managed():
            node = c.nodes[name]
            if node is not best and node.role == "replica" and node.busy is None:
                self.repoint(node, best)
                self._fenced.discard(name)
        c.router.primary_changed(best.name)
        if self.spec.self_fence_after is not None:
            self._check_isolation()

    # --- writes on a primary without enough replicas -------------------------------------

    def accepts_writes(self, node: DbNode) -> bool:
        need = self.spec.min_replicas_to_write
        if need == 0:
            return True
        rep = self.c.replication
        now = self.c.env.now
        lag = self.spec.min_replicas_max_lag
        good = sum(
            1
            for name in rep.standbys_of(node)
            if name in rep.streams or now - rep.hung[name][1] <= lag
        )
        return good >= need

    # --- a primary cut off from the majority fences itself -------------------------------

    def _isolated(self, node: DbNode) -> bool:
        """Whether `node` reaches fewer than a majority of the voters, itself included."""
        net = self.c.net
        voters = [*self.spec.observers, *self.managed()]
        reach = sum(
            1 for v in voters if v == node.name or (net.up[v] and net.connected(node.name, v))
        )
        return reach < len(voters) // 2 + 1

    def _check_isolation(self) -> None:
        """Start the fence clock of a primary that lost the majority; stop it when the
        majority is back."""
        now = self.c.env.now
        for name in self.managed():
            node = self.c.nodes[name]
            if not (node.writable and self._isolated(node)):
                self._cut_since.pop(name, None)
            elif name not in self._cut_since:
                self._cut_since[name] = now
                self.c.env.process(self._fence_later(node, now))

    def _fence_later(self, node: DbNode, since: float) -> Steps:
        assert self.spec.self_fence_after is not None
        yield self.c.env.timeout(self.c.local(node.name, self.spec.self_fence_after))
        if self._cut_since.get(node.name) != since:
            return
        del self._cut_since[node.name]
        if node.writable and node.busy is None and self._isolated(node):
            self.c.event("self_fence", node.name, "no majority of the voters in reach")
            node.step_down()
            self._fenced.add(node.name)

    # --- Controller ----------------------------------------------------------------------

    def reports_primary(self, node: str, prober: str) -> bool | None:
        if not self.c.net.connected(prober, node) or self.c.paused(node, "db"):
            return None
        return self.c.nodes[node].writable

    def primary_seen_from(self, client: str) -> str | None:
        """What a client asking the first observer it reaches is told."""
        for name in self.spec.observers:
            if self._alive(name) and self.c.net.connected(client, name):
                return self.observers[name].primary
        return None

    def host_powered(self, host: str, up: bool) -> None:
        if up and host in self.c.nodes:
            node = self.c.nodes[host]
            node.process = "stopped"
            self.restart_db(host)
        elif up and host in self.observers:
            obs = self.observers[host]
            obs.last_ok, obs.sdown = self.c.env.now, False
