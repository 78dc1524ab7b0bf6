"""The cluster: the simpy environment, the network, the nodes, and the notifications that keep
client requests honest when the world changes under them.

Why notifications: a client request is planned analytically when it is issued (its arrival,
commit, acknowledgement and reply times follow from the state at that moment), so that a
steady workload costs one simpy event per operation. Anything a request depends on (a host's
power, a process, a role, a network cut, a replication stream, the sync set, a proxy's view,
a DNS record) announces its change through `changed()`, and every request still in flight is
re-planned from that instant.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import simpy

from sim.cluster.lineage import LineageBook
from sim.cluster.objects import Objects
from sim.history import Event, History, RoleChange
from sim.network import Network
from sim.rng import Streams
from sim.spec import Scenario, Topology
from sim.wal import PrimaryLog, RateSchedule

if TYPE_CHECKING:
    from sim.cluster.hotkeys import HotKeys
    from sim.cluster.node import DbNode
    from sim.cluster.replication import Replication
    from sim.cluster.requests import RequestService
    from sim.cluster.routing import Router, Session
    from sim.cluster.store import ConsensusStore
    from sim.workload import ClientWorkload


class Controller(ABC):
    """What every failover family offers the rest of the model."""

    def __init__(self, cluster: Cluster) -> None:
        self.c = cluster

    def start(self) -> None:
        """Create the family's processes."""

    def managed(self) -> list[str]:
        """The database nodes this family manages, in file order: all of them but a standby
        cluster's, which follow their own rules."""
        return [n for n in sorted(self.c.nodes, key=self.c.order) if n not in self.c.dr_nodes]

    def repoint(self, node: DbNode, primary: DbNode) -> None:
        """Make a replica follow `primary`: at once when it can, after a rewind or re-clone
        when its history has diverged."""
        if node.needs_rejoin(primary):
            self.c.env.process(node.rejoin(primary))
        else:
            self.c.replication.follow(node, primary.name)

    def accepts_writes(self, node: DbNode) -> bool:
        """Whether a primary takes a write now (a family may refuse, e.g. too few replicas)."""
        return True

    def serves_reads(self, node: DbNode) -> bool:
        """Whether a node answers a read sent to it now. By default any running node does (a
        hot standby on a session that followed a demotion); a family whose followers refuse
        default reads overrides this."""
        return True

    @abstractmethod
    def reports_primary(self, node: str, prober: str) -> bool | None:
        """The answer a role health check from host `prober` gets about `node`: True (it is
        the writable primary), False (it answers no), None (no answer: black hole)."""

    def host_powered(self, host: str, up: bool) -> None:
        """A host lost or regained power."""

    def db_crashed(self, node: str) -> None:
        """A database process died on a host that stays up."""

    def restart_db(self, node: str) -> None:
        """The service manager restarts a crashed database process in its last role (a
        family whose agent manages the process overrides this)."""
        db = self.c.nodes[node]
        if db.process == "stopped" and db.busy is None and db.host_up:
            self.c.env.process(db.start(as_primary=db.log is not None, upstream=db.upstream))

    def heal(self) -> None:
        """The incident is over: every fault has healed; rejoin by the family's rule."""

    def settled(self) -> bool:
        """Whether the family has nothing in progress (no detection running, no election,
        no pending decision), so that quiet time may be fast-forwarded. A family that cannot
        tell says no, and its runs are simulated in full."""
        return False

    def rebase(self) -> None:
        """Incident window start (`Cluster.reanchor`): restart the family's processes, with
        the state that depends on their last tick set as a steady run would have it."""

    def adopt(self, node: DbNode) -> None:
        """A restore opened `node` as the primary on a new lineage: the other nodes are
        rebuilt from it (a primary still open on the old history is stopped first) and the
        route moves to it."""
        for name in self.managed():
            other = self.c.nodes[name]
            if other is node or other.busy is not None or not other.host_up:
                continue
            if other.role == "primary" and other.serving:
                self.c.env.process(self.rebuild(other, node))
            elif other.role == "replica" and other.serving:
                self.repoint(other, node)
            elif other.process == "stopped":
                self.c.env.process(other.rejoin(node))
        self.c.router.primary_changed(node.name)

    def rebuild(self, old: DbNode, primary: DbNode) -> Any:
        """Stop a primary on a discarded history and rebuild it as a standby (simpy steps)."""
        self.c.event("demote", old.name, "rebuilt as a standby of the restored primary")
        yield self.c.env.process(old.demote(then_standby=False))
        self.c.env.process(old.rejoin(primary))


class Cluster:
    """Everything one run's model is made of."""

    def __init__(self, topology: Topology, scenario: Scenario, seed: int) -> None:
        self.env = simpy.Environment()
        self.topo = topology
        self.scenario = scenario
        self.seed = seed
        self.rng = Streams(seed)
        self.history = History()
        self.net = Network(topology, self.rng("network"))
        self._order = {name: i for i, name in enumerate(self.net.hosts())}
        self.lineages = LineageBook(self.history)
        self.schedule: RateSchedule = RateSchedule.steady(0.0)
        # Every primary term's log, for the position samples of the history.
        self.logs: list[tuple[str, PrimaryLog]] = []
        self.nodes: dict[str, DbNode] = {}
        self.replication: Replication
        self.store: ConsensusStore | None = None
        self.controller: Controller
        self.router: Router
        self.requests: RequestService
        self.workload: ClientWorkload
        self.hotkeys: HotKeys
        self._listeners: list[Callable[[], None]] = []
        self._power_gen: dict[str, int] = {}
        # Each host's clock rate (1: true time); timers set on a host last 1/rate as long.
        self.clocks: dict[str, float] = dict.fromkeys(self.net.hosts(), 1.0)
        # Frozen processes per host: "db", "agent".
        self.frozen: dict[str, set[str]] = {}
        self._thaw: dict[str, simpy.Event] = {}
        self._network_listeners: list[Callable[[], None]] = []
        sc = topology.standby_cluster
        # A standby cluster's nodes: asynchronous, outside the main cluster's failovers.
        self.dr_nodes: frozenset[str] = frozenset(sc.nodes if sc is not None else ())
        # Hosts a runbook keeps powered off (a retired cluster): they do not boot again.
        self.retired: set[str] = set()
        self._booted: dict[str, simpy.Event] = {}
        # Hosts booting: when they will be up, and their power generation then.
        self.booting: dict[str, tuple[float, int]] = {}
        # Incident windows (see sim/fastforward.py): the window number, what restarts its
        # processes at a window's start, and when the model last changed (a history row).
        self.epoch = 0
        self._rebases: list[Callable[[], None]] = []
        self._agendas: list[Callable[[], list[float]]] = []
        self.last_change = 0.0
        # Objects lost to logical corruption and restored; delayed replicas and their apply
        # delay; whether a restore owns the cluster now (the failover family stands by).
        self.objects = Objects(self)
        self.delayed: dict[str, float] = {}
        self.restoring = False
        self._log_listeners: list[Callable[[str, PrimaryLog], None]] = []

    # --- ordering and recording ------------------------------------------------------------

    def order(self, host: str) -> int:
        """A host's position in the file: iterate in this order, never over sets."""
        return self._order[host]

    def event(self, name: str, node: str, detail: str = "") -> None:
        self.last_change = self.env.now
        self.history.events.append(Event(self.env.now, name, node, detail))

    def record_role(self, node: str, role: str, lineage: int, lsn: float) -> None:
        self.last_change = self.env.now
        self.history.roles.append(RoleChange(self.env.now, node, role, lineage, round(lsn)))

    # --- incident windows ----------------------------------------------------------------

    def on_rebase(self, hook: Callable[[], None]) -> None:
        """Call `hook` at every incident window's start, after the event queue was emptied."""
        self._rebases.append(hook)

    def on_agenda(self, agenda: Callable[[], list[float]]) -> None:
        """`agenda` tells when a change already set in motion will happen (a timeout that
        will fire, a lease that will expire): quiet time may be skipped up to there only."""
        self._agendas.append(agenda)

    def agenda(self) -> list[float]:
        """When the changes under way will happen: hosts finishing their boot, nodes finishing
        a rewind or re-clone, and what the components said."""
        out = [up for up, _ in self.booting.values()]
        out += [node.rejoining[0] for node in self.nodes.values() if node.rejoining is not None]
        for agenda in self._agendas:
            out += agenda()
        return out

    def reanchor(self) -> None:
        """Start incident window `epoch + 1` now: drop every pending event (messages in
        flight, timers, requests), draw every random number from the window's own streams,
        and restart every component's processes, each at a phase drawn afresh.

        Why: the model at a window's start is then a function of its persistent state (roles,
        lineages, logs, stored keys, terms, sessions, what is down) and of the window's number,
        never of how the quiet time before it went; skipping that time is therefore exact as
        long as it changed nothing persistent, which the fast-forward test checks."""
        self.epoch += 1
        self.env._queue.clear()
        self.rng.rekey(self.epoch)
        # Processes still waiting on these events belong to the past window.
        self._thaw.clear()
        self._booted.clear()
        for host in sorted(self.booting, key=self.order):
            self.env.process(self._boot(host, *self.booting[host]))
        for name in sorted(self.nodes, key=self.order):
            self.nodes[name].rebase()
        for hook in self._rebases:
            hook()

    def log_started(self, node: str, log: PrimaryLog) -> None:
        """A primary began a term's log (a lineage): keep it, and tell who archives it."""
        self.logs.append((node, log))
        for listener in self._log_listeners:
            listener(node, log)

    def on_log(self, listener: Callable[[str, PrimaryLog], None]) -> None:
        """Call `listener` with every log a primary begins from now on."""
        self._log_listeners.append(listener)

    # --- change notifications ------------------------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever something a client request depends on changes."""
        self._listeners.append(listener)

    def on_network_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever reachability between hosts changes."""
        self._network_listeners.append(listener)

    def workload_sessions(self) -> list[Session]:
        """Every client session open now (a proxy closes some of them)."""
        return self.workload.sessions()

    def changed(self) -> None:
        for listener in self._listeners:
            listener()

    def network_changed(self) -> None:
        for listener in self._network_listeners:
            listener()
        self.changed()

    # --- clocks and pauses ---------------------------------------------------------------

    def local(self, host: str, seconds: float) -> float:
        """How long a timer of `seconds` set on `host` really lasts (its clock may drift)."""
        return seconds / self.clocks[host]

    def paused(self, host: str, process: str) -> bool:
        return process in self.frozen.get(host, ())

    def pause(self, host: str, process: str) -> None:
        """Freeze a host's database and agent (`host`), or one of them."""
        procs = {"db", "agent"} if process == "host" else {process}
        self.frozen.setdefault(host, set()).update(procs)
        self.event("pause", host, process)
        if host in self.nodes and "db" in procs:
            self.nodes[host].freeze()
        self.network_changed()

    def resume(self, host: str, process: str) -> None:
        procs = {"db", "agent"} if process == "host" else {process}
        frozen = self.frozen.get(host, set())
        frozen -= procs
        self.event("resume", host, process)
        if host in self.nodes and "db" in procs:
            self.nodes[host].thaw()
        ev = self._thaw.pop(host, None)
        if ev is not None and not frozen:
            ev.succeed()
        elif ev is not None:
            self._thaw[host] = ev
        self.network_changed()

    def thawed(self, host: str, process: str) -> Any:
        """Wait (a simpy event, or None when not frozen) until `process` on `host` runs."""
        if not self.paused(host, process):
            return None
        if host not in self._thaw:
            self._thaw[host] = self.env.event()
        return self._thaw[host]

    # --- fencing -------------------------------------------------------------------------

    def fence(self, old: DbNode) -> Any:
        """STONITH before a promotion (simpy steps; True when the promotion may go on): power
        the old primary off, which takes time and may fail."""
        spec = self.topo.fencing
        if spec.mode == "none":
            return True
        self.event("fence_started", old.name)
        yield self.env.timeout(spec.time)
        if self.rng("fencing").random() < spec.failure:
            self.event("fence_failed", old.name, spec.on_failure)
            return spec.on_failure == "proceed"
        self.power_off(old.name)
        self.event("fence_done", old.name)
        return True

    # --- power ---------------------------------------------------------------------------

    def power_off(self, host: str) -> None:
        """The host stops: it black-holes packets and its processes die (a host that was
        booting stops booting)."""
        if not self.net.up[host]:
            if self.booting.pop(host, None) is not None:
                self._power_gen[host] = self._power_gen.get(host, 0) + 1
            return
        self.net.power(host, False)
        self.event("host_down", host)
        self._power_gen[host] = self._power_gen.get(host, 0) + 1
        if host in self.nodes:
            self.nodes[host].crash(host_down=True)
        self.controller.host_powered(host, False)
        self.network_changed()

    def booted(self, host: str) -> simpy.Event:
        """An event that fires when the powered-off `host` has booted again."""
        if host not in self._booted:
            self._booted[host] = self.env.event()
        return self._booted[host]

    def power_on(self, host: str) -> Any:
        """Boot the host; its services start once it is up (a simpy process)."""
        return self.env.process(self._boot(host, self.env.now + self.topo.boot))

    def _boot(self, host: str, up_at: float, gen: int | None = None) -> Any:
        if gen is None:
            gen = self._power_gen.get(host, 0)
            if host in self.booting:
                return  # already booting: powering it on again changes nothing
        if self.net.up[host]:
            return
        self.booting[host] = (up_at, gen)
        yield self.env.timeout(up_at - self.env.now)
        if self.booting.get(host) == (up_at, gen):
            del self.booting[host]
        if self.net.up[host] or gen != self._power_gen.get(host, 0) or host in self.retired:
            return
        self.net.power(host, True)
        self.event("host_up", host)
        waiting = self._booted.pop(host, None)
        if waiting is not None:
            waiting.succeed()
        self.controller.host_powered(host, True)
        self.network_changed()
