"""The `lease` failover family: a leader key with a TTL in a consensus store, and an agent
beside each database node running a loop (Patroni's semantics; Stolon and pg_auto_failover's
monitor follow the same shape).

Every `loop_wait` each agent reads the cluster from the store, then:
- the leader renews the key (compare-and-set) and publishes its LSN; if the store cannot be
  reached within `retry_timeout`, it demotes itself (unless failsafe mode finds every other
  member reachable); demotion takes time, and the database acknowledges writes until stopped;
- a crashed database on the leader is restarted in place, key held, for `primary_start_timeout`;
- replicas wake on a watch of the leader key; when it is gone they race for it, each first
  checking that it is healthy enough: not further than `maximum_lag_on_failover` behind the
  LSN the leader last published (up to a loop old), a sync standby in synchronous mode, and no
  other member (asked over HTTP, 2 s timeout) still running as primary or further ahead;
- the winner promotes; the others follow it; a former primary rejoins by rewind or re-clone.
The agent's HTTP endpoint answers the proxy's role check: 200 only while it believes it holds
the key (its last successful renewal + ttl lies ahead) and runs as primary.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.cluster.core import Controller
from sim.cluster.store import INF, ConsensusStore, DcsError, StoreClient
from sim.history import Decision, Position
from sim.spec.failover import Lease

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode

Steps = Generator[Any, Any, Any]
LEADER = "leader"
STATUS = "status"
SYNC = "sync"


@dataclass
class View:
    """What an agent read from the store in one loop."""

    leader: str | None
    status: tuple[int, float] | None  # (lineage, LSN) the leader last published
    sync: list[str] | None
    members: list[str] = field(default_factory=list)


class LeaseAgent:
    """The failover agent on one db host (one instance per boot of the host)."""

    def __init__(self, family: LeaseFamily, node: DbNode, boot: int) -> None:
        self.f = family
        self.c = family.c
        self.node = node
        self.name = node.name
        self.spec = family.spec
        self.boot = boot
        self.client = StoreClient(node.name, family.spec.retry_timeout)
        self.leader_expiry = 0.0
        self.db_down_since: float | None = None
        self.last_members: list[str] = []

    # --- life --------------------------------------------------------------------------

    def alive(self) -> bool:
        return self.c.net.up[self.name] and self.f.boot_of[self.name] == self.boot

    def is_leader(self) -> bool:
        return self.leader_expiry > self.c.env.now

    def run(self, phase: float | None = None) -> Steps:
        """The HA loop, first run `phase` from now (a random phase of the loop, as real
        agents start, when not given)."""
        env = self.c.env
        if phase is None:
            phase = self.f.rng.uniform(0.0, self.spec.loop_wait)
        yield env.timeout(phase)
        local = self.c.local
        while self.alive():
            yield from self._unfreeze()
            t0 = env.now
            try:
                view = yield from self._read()
            except DcsError:
                if not self.alive():
                    return
                yield from self._unfreeze()
                yield from self._store_unreachable()
            else:
                if not self.alive():
                    return
                # A frozen agent acts, once it thaws, on the view it read before.
                yield from self._unfreeze()
                yield from self._cycle(view)
            if not self.alive():
                return
            nap = max(local(self.name, self.spec.loop_wait) - (env.now - t0), 0.0)
            if self.node.role == "replica" and self.spec.watch and self.node.process == "running":
                # Patroni adds 0.5 s on replicas "to synchronize HA loops".
                yield env.timeout(nap + local(self.name, 0.5)) | self.f.store.watch(LEADER)
            else:
                yield env.timeout(nap)

    def _unfreeze(self) -> Steps:
        thawed = self.c.thawed(self.name, "agent")
        if thawed is not None:
            yield thawed

    def _stop_leading(self) -> None:
        self.leader_expiry = 0.0
        self.f.disarm(self.name)

    def _believe_leader(self) -> None:
        """The key is ours for `ttl` more seconds by this host's clock; arm the watchdog."""
        self.leader_expiry = self.c.env.now + self.c.local(self.name, self.spec.ttl)
        if self.spec.watchdog:
            self.f.keepalive(self)

    # --- store operations ----------------------------------------------------------------

    def _read(self) -> Steps:
        store = self.f.store

        def snapshot() -> View:
            members = sorted(store.names_under("members/"), key=self.c.order)
            return View(store.get(LEADER), store.get(STATUS), store.get(SYNC), members)

        view: View = yield from store.request(self.client, snapshot)
        if view.leader is not None:
            self.last_members = view.members
        return view

    def _update_lock(self) -> Steps:
        """Renew the leader key (compare-and-set on our name) and publish our LSN."""
        store = self.f.store
        node = self.node

        def cas() -> bool:
            if store.get(LEADER) != self.name:
                return False
            store.put(LEADER, self.name, self.spec.ttl)
            t = self.c.env.now
            store.put(STATUS, (node.lineage, node.position(t)), INF)
            return True

        ok: bool = yield from store.request(self.client, cas)
        if ok:
            self._believe_leader()
            self.c.history.positions.append(self.f.position_row(self.name, node, "published"))
        return ok

    def _acquire(self) -> Steps:
        store = self.f.store

        def create() -> bool:
            if store.get(LEADER) is not None:
                return False
            store.put(LEADER, self.name, self.spec.ttl)
            return True

        ok: bool = yield from store.request(self.client, create)
        if ok:
            self._believe_leader()
            self.f.took_key(self.name)
        return ok

    def _release(self) -> Steps:
        store = self.f.store

        def delete() -> None:
            if store.get(LEADER) == self.name:
                store.delete(LEADER)

        yield from store.request(self.client, delete)
        self._stop_leading()

    def _touch_member(self) -> Steps:
        store = self.f.store
        node = self.node

        def touch() -> None:
            store.put(f"members/{self.name}", node.role, self.spec.ttl)

        yield from store.request(self.client, touch)

    def _write_sync(self, members: list[str]) -> Steps:
        store = self.f.store

        def put() -> None:
            store.put(SYNC, list(members), INF)

        yield from store.request(self.client, put)

    # --- one loop ------------------------------------------------------------------------

    def _cycle(self, view: View) -> Steps:
        node = self.node
        me = self.name
        try:
            if node.busy is not None:
                # A leader keeps its key while its database starts or promotes.
                if view.leader == me and node.busy in ("starting", "promoting"):
                    yield from self._update_lock()
            elif node.process == "stopped":
                yield from self._database_down(view)
            elif node.role == "primary":
                yield from self._as_primary(view)
            elif view.leader == me:
                # We hold the key but run read-only (restarted in place): promote.
                self.c.env.process(node.promote())
            elif view.leader is None:
                yield from self._race(view)
            else:
                self._follow(view.leader)
            if self.alive():
                yield from self._touch_member()
        except DcsError:
            if self.alive():
                yield from self._store_unreachable()

    def _database_down(self, view: View) -> Steps:
        node = self.node
        now = self.c.env.now
        if view.leader == self.name:
            if self.db_down_since is None:
                self.db_down_since = now
                self.c.event("failure_detected", self.name, "database down on the leader")
            if now - self.db_down_since < self.spec.primary_start_timeout:
                if (yield from self._update_lock()):
                    self.c.event("restart_in_place", self.name)
                    self.c.env.process(node.start(as_primary=False))
                return
            self.c.event("primary_start_timeout", self.name)
            yield from self._release()
        self.db_down_since = None
        upstream = view.leader if view.leader != self.name else None
        if upstream is not None and node.needs_rejoin(self.c.nodes[upstream]):
            self.c.env.process(node.rejoin(self.c.nodes[upstream]))
        else:
            self.c.env.process(node.start(as_primary=False, upstream=upstream))

    def _as_primary(self, view: View) -> Steps:
        node = self.node
        me = self.name
        self.db_down_since = None
        if view.leader == me:
            if (yield from self._update_lock()):
                yield from self._manage_sync(view)
                return
            self.c.event("demote", me, "lost the leader key")
        elif view.leader is None:
            if (yield from self._acquire()):
                self.c.event("leader_key_retaken", me)
                return
            self.c.event("demote", me, "leader key taken by another node")
        else:
            self.c.event("demote", me, f"{view.leader} holds the leader key")
        self._stop_leading()
        self.c.env.process(node.demote())

    def _store_unreachable(self) -> Steps:
        node = self.node
        if node.role != "primary" or node.process != "running" or node.busy is not None:
            return
        if self.spec.failsafe_mode and (yield from self._failsafe_ok()):
            self._believe_leader()
            self.c.event("failsafe_continue", self.name)
            return
        self.c.event("demote", self.name, "store unreachable")
        self._stop_leading()
        self.c.env.process(node.demote())
        self.c.changed()

    def _failsafe_ok(self) -> Steps:
        """POST /failsafe to every other member (2 s timeout, one retry): all must answer."""
        others = [m for m in self.f.agents if m != self.name]
        net = self.c.net
        # Two tries of 2 s each; an answer slower than that counts as none.
        rtts = {m: net.rtt(self.name, m, self.f.rng) for m in others}
        answered = [
            m
            for m in others
            if net.connected(self.name, m) and self.f.answers(m) and rtts[m] <= 2.0
        ]
        wait = 4.0 if len(answered) < len(others) else max((rtts[m] for m in answered), default=0.0)
        yield self.c.env.timeout(wait)
        return len(answered) == len(others)

    def _follow(self, leader: str) -> None:
        node = self.node
        target = self.c.nodes[leader]
        if target.writable:
            self.f.repoint(node, target)
        else:
            self.c.replication.follow(node, leader)

    # --- the leader race -----------------------------------------------------------------

    def _race(self, view: View) -> Steps:
        if not (yield from self._is_healthiest(view)):
            return
        if not self.alive():
            return
        if not (yield from self._acquire()):
            return
        self.c.event("leader_elected", self.name)
        if self.spec.synchronous_mode != "off":
            yield from self._write_sync([])
            self.f.relax_or_block(self.node)
        self.c.env.process(self.node.promote())

    def _is_healthiest(self, view: View) -> Steps:
        node = self.node
        now = self.c.env.now
        if node.process != "running" or node.busy is not None:
            return False
        # In synchronous mode only a standby listed in the sync key may take over; a sync set
        # relaxed to nobody (async) leaves no one who surely holds every acknowledged write.
        sync_mode = self.spec.synchronous_mode != "off"
        if sync_mode and view.sync is not None and self.name not in view.sync:
            self.c.event("not_sync_standby", self.name)
            return False
        if node.wiped:
            # An empty data directory: Patroni waits to clone it from a leader.
            self.c.event("candidate_empty", self.name)
            return False
        mine = node.position(now)
        if view.status is not None:
            lag = view.status[1] - mine
            if lag > self.spec.maximum_lag_on_failover:
                self.c.event("candidate_lagging", self.name, f"{lag:.0f} bytes behind")
                return False
        others = [m for m in dict.fromkeys(self.last_members + view.members) if m != self.name]
        net = self.c.net
        timeout = self.spec.member_check_timeout
        rtts = {m: net.rtt(self.name, m, self.f.rng) for m in others}
        replies = [
            m
            for m in others
            if net.connected(self.name, m) and self.f.answers(m) and rtts[m] <= timeout
        ]
        wait = max((rtts[m] for m in replies), default=0.0)
        if len(replies) < len(others):
            wait = timeout
        yield self.c.env.timeout(wait)
        mine = node.position(self.c.env.now)
        for m in replies:
            other = self.c.nodes[m]
            if not (self.f.answers(m) and net.connected(self.name, m)):
                continue
            # A node shutting down cannot answer its status query; only a running primary
            # reports that it is not in recovery.
            if other.role == "primary" and other.process == "running":
                self.c.event("primary_still_alive", self.name, m)
                return False
            # In synchronous mode only sync standbys count: an async one may be ahead.
            counts = not (
                self.spec.synchronous_mode != "off" and view.sync is not None and m not in view.sync
            )
            ahead = (
                other.role == "replica"
                and other.process == "running"
                and other.lineage == node.lineage
                and other.position(self.c.env.now) > mine
            )
            if ahead and counts:
                self.c.event("member_ahead", self.name, m)
                return False
        return True

    # --- synchronous mode ----------------------------------------------------------------

    def wanted_sync(self, stored: list[str] | None) -> tuple[list[str], list[str]]:
        """(the sync set stored now, the one this leader wants): streaming standbys, those
        already in the set first."""
        streaming = self.c.replication.standbys_of(self.node)
        current = [m for m in (stored or []) if m != self.name]
        keep = [m for m in current if m in streaming]
        want = keep + [m for m in streaming if m not in keep]
        return current, want[: self.f.num_sync]

    def _manage_sync(self, view: View) -> Steps:
        """Keep the sync set on streaming standbys: shrink it in the store before the
        database, grow it in the database before the store."""
        if self.spec.synchronous_mode == "off":
            return
        rep = self.c.replication
        node = self.node
        current, want = self.wanted_sync(view.sync)
        if want == current:
            return
        if not want and self.spec.synchronous_mode == "strict":
            return
        shrink = [m for m in current if m in want]
        if shrink != current:
            yield from self._write_sync(shrink)
        rep.set_sync_names(node, want)
        if want != shrink:
            yield self.c.env.timeout(2.0)
            if not self.alive():
                return
            confirmed = [m for m in want if m in rep.standbys_of(node)]
            yield from self._write_sync(confirmed)


class LeaseFamily(Controller):
    """Agents, their store, and the answers of their HTTP role endpoints."""

    def __init__(self, cluster: Cluster, spec: Lease) -> None:
        super().__init__(cluster)
        self.spec = spec
        assert spec.store is not None, "the topology validator requires a store"
        self.store = ConsensusStore(cluster, spec.store)
        cluster.store = self.store
        self.rng = cluster.rng("lease")
        self.agents: dict[str, LeaseAgent] = {}
        self.boot_of: dict[str, int] = {}
        self._watchdog: dict[str, float] = {}
        rep = cluster.topo.replication
        self.num_sync = getattr(rep, "num_sync", 1)
        # Who last held the leader key: the primary a new key holder replaces.
        self.holder = cluster.topo.database.initial_primary

    def took_key(self, name: str) -> None:
        """Record the decision a new key holder makes: the facts for `false_failovers`."""
        old = self.holder
        self.holder = name
        if old == name:
            return
        net = self.c.net
        members = self.store.members
        reaching = sum(1 for m in members if net.up[m] and net.connected(m, old))
        decision = Decision(
            self.c.env.now, name, old, self.c.nodes[old].healthy, reaching, len(members)
        )
        self.c.history.decisions.append(decision)

    def start(self) -> None:
        self.store.start()
        self.store.on_expire = self._expired
        primary = self.c.topo.database.initial_primary
        store = self.store
        store.put(LEADER, primary, self.spec.ttl)
        store.put(STATUS, (self.c.nodes[primary].lineage, 0.0), INF)
        for name in self.managed():
            store.put(f"members/{name}", self.c.nodes[name].role, self.spec.ttl)
        if self.spec.synchronous_mode != "off":
            standbys = [n for n in self.managed() if n != primary]
            initial = standbys[: self.num_sync]
            store.put(SYNC, initial, INF)
            self.c.replication.set_sync_names(self.c.nodes[primary], initial)
        for name in self.managed():
            self._launch(name)
        self.agents[primary].leader_expiry = self.spec.ttl

    def _launch(self, name: str) -> None:
        self.boot_of[name] = self.boot_of.get(name, 0) + 1
        agent = LeaseAgent(self, self.c.nodes[name], self.boot_of[name])
        self.agents[name] = agent
        self.c.env.process(agent.run())

    # --- incident windows ----------------------------------------------------------------

    def settled(self) -> bool:
        """The store has a leader, the key holder runs as the primary and believes it, and
        every live agent's database runs (replicas following the holder, the sync set as the
        leader wants it). A dead agent's keys, still to expire, are on the `agenda`."""
        store = self.store
        if store.leader is None or store.electing:
            return False
        for agent in self.agents.values():
            if agent.alive() and not store.answers(agent.client):
                return False  # its next request waits on a member that does not answer
        holder = store.get(LEADER)
        if holder not in self.agents or not self.agents[holder].alive():
            return False
        primary = self.c.nodes[holder]
        if not (primary.writable and primary.busy is None and self.agents[holder].is_leader()):
            return False
        for name in self.managed():
            agent = self.agents.get(name)
            if agent is None or not agent.alive():
                continue
            node = self.c.nodes[name]
            if node.rejoining is not None:
                continue  # a rewind or re-clone, on the cluster's agenda
            if agent.db_down_since is not None or node.process != "running" or node.busy:
                return False
            if name != holder and (node.role != "replica" or node.upstream != holder):
                return False
            if name != holder and not node.follows_cleanly(primary):
                return False  # its next loop rewinds or re-clones it
        if self.spec.synchronous_mode != "off":
            current, want = self.agents[holder].wanted_sync(store.get(SYNC))
            return current == want
        return True

    def rebase(self) -> None:
        """Every live agent's loop restarts at a fresh phase; the keys it renews, its belief
        in the leader key and its watchdog are set as its last loop, one `loop_wait` before
        the next, left them."""
        now = self.c.env.now
        store = self.store
        store.rebase()
        holder = store.get(LEADER)
        last: dict[str, float] = {}
        for name in self.managed():
            agent = self.agents.get(name)
            if agent is None or not agent.alive():
                continue
            phase = self.rng.uniform(0.0, self.spec.loop_wait)
            last[name] = now + phase - self.spec.loop_wait
            if name == holder:
                agent.leader_expiry = last[name] + self.c.local(name, self.spec.ttl)
                if self.spec.watchdog:
                    deadline = last[name] + self.c.local(name, self.spec.ttl - 5.0)
                    self._watchdog[name] = deadline
                    self.c.env.process(self._watchdog_fires(agent, deadline))
            self.c.env.process(agent.run(phase))
        store.renewed(
            {
                name: last[owner]
                for name in store.names_under("")
                if store.keys[name].ttl < INF and (owner := self._owner(name, holder)) in last
            }
        )
        # The LSN the leader published in its last loop, and the role each member wrote.
        primary = self.c.nodes[holder]
        store.keys[STATUS].value = (primary.lineage, primary.position(last[holder]))
        for name in last:
            if (key := store.keys.get(f"members/{name}")) is not None:
                key.value = self.c.nodes[name].role

    def agenda(self) -> list[float]:
        """When the keys of dead agents expire (nobody renews them any more)."""
        store = self.store
        holder = store.get(LEADER)
        return [
            key.expiry
            for name, key in store.keys.items()
            if key.ttl < INF
            and not ((agent := self.agents.get(self._owner(name, holder))) and agent.alive())
        ]

    @staticmethod
    def _owner(key: str, holder: str) -> str:
        """The agent that renews a key with a lease: the leader key's holder, or a member."""
        return holder if key == LEADER else key.removeprefix("members/")

    def answers(self, name: str) -> bool:
        """Whether the agent on `name` answers HTTP: alive, not frozen, and its database not
        frozen either (the status query would hang)."""
        c = self.c
        return (
            name in self.agents
            and self.agents[name].alive()
            and not c.paused(name, "agent")
            and not c.paused(name, "db")
        )

    def keepalive(self, agent: LeaseAgent) -> None:
        """Patroni's watchdog: a leader must ping within ttl - safety margin (5 s) or the
        machine is reset, so a frozen agent cannot leave its database acknowledging writes."""
        deadline = self.c.env.now + self.c.local(agent.name, self.spec.ttl - 5.0)
        self._watchdog[agent.name] = deadline
        self.c.env.process(self._watchdog_fires(agent, deadline))

    def disarm(self, name: str) -> None:
        self._watchdog.pop(name, None)

    def _watchdog_fires(self, agent: LeaseAgent, deadline: float) -> Any:
        yield self.c.env.timeout(deadline - self.c.env.now)
        if self._watchdog.get(agent.name) != deadline or not agent.alive():
            return
        del self._watchdog[agent.name]
        self.c.event("watchdog_reset", agent.name)
        self.c.power_off(agent.name)
        self.c.power_on(agent.name)

    def position_row(self, name: str, node: DbNode, kind: str) -> Position:
        t = self.c.env.now
        return Position(t, name, node.lineage, round(node.position(t)), kind)

    def _expired(self, key: str, stored: Any) -> None:
        if key == LEADER:
            self.c.event("failure_detected", str(stored.value), "leader key expired")

    def relax_or_block(self, node: DbNode) -> None:
        """A new leader in synchronous mode starts with no sync standby: '*' when strict
        (writes wait for any standby), empty (async) otherwise."""
        names: list[str] | str = "*" if self.spec.synchronous_mode == "strict" else []
        self.c.replication.set_sync_names(node, names)

    # --- Controller ----------------------------------------------------------------------

    def reports_primary(self, node: str, prober: str) -> bool | None:
        if not self.c.net.connected(prober, node):
            return None
        if self.c.paused(node, "agent") or self.c.paused(node, "db"):
            return None
        agent = self.agents.get(node)
        if agent is None or not agent.alive():
            return False
        db = self.c.nodes[node]
        return agent.is_leader() and db.role == "primary" and db.process == "running"

    def host_powered(self, host: str, up: bool) -> None:
        if host in self.c.nodes:
            if up:
                node = self.c.nodes[host]
                node.process = "stopped"
                self._launch(host)
            else:
                self.boot_of[host] = self.boot_of.get(host, 0) + 1

    def db_crashed(self, node: str) -> None:
        """Nothing to do at once: the agent notices in its next loop."""

    def restart_db(self, node: str) -> None:
        """The agent owns the process: it restarts it in its next loop."""

    def heal(self) -> None:
        """Agents rejoin by themselves once the faults are gone."""
