"""The one place that wires the parts of a cluster together, in a fixed order (simpy breaks
ties between simultaneous events by creation order, so the order is part of determinism)."""

from __future__ import annotations

from sim.cluster.backups import BackupService
from sim.cluster.core import Cluster
from sim.cluster.failover.consensus import ConsensusFamily
from sim.cluster.failover.lease import LeaseFamily
from sim.cluster.failover.manual import ManualFamily
from sim.cluster.failover.nofailover import NoFailoverFamily
from sim.cluster.failover.observers import ObserversFamily
from sim.cluster.failover.standby_cluster import StandbyClusterController
from sim.cluster.hotkeys import HotKeys
from sim.cluster.leaderless import LeaderlessReplication
from sim.cluster.mesh import MeshReplication
from sim.cluster.node import DbNode
from sim.cluster.replication import Replication
from sim.cluster.requests import RequestService
from sim.cluster.restore import RestoreRunbook
from sim.cluster.routing import build_router
from sim.failure_profiles import with_random_failures
from sim.nemesis import Nemesis
from sim.rng import Stream
from sim.sampling import sample
from sim.spec import Scenario, Topology
from sim.spec.failover import Consensus, Lease, Manual, Observers
from sim.spec.replication import Leaderless, MultiPrimary
from sim.spec.workload import Workload
from sim.wal import RateSchedule
from sim.workload import ClientWorkload


def write_schedule(spec: Workload, horizon: float, stream: Stream) -> RateSchedule:
    """The application's WAL rate over the run: steady, plus Poisson bursts."""
    base = spec.transactions * spec.tx_bytes
    bursts: list[tuple[float, float, float]] = []
    if spec.bursts is not None:
        b = spec.bursts
        t = stream.exponential(b.every)
        while t < horizon:
            length = sample(b.duration, stream)
            bursts.append((t, length, stream.lognormal(b.wal_rate.median, b.wal_rate.p99)))
            t += stream.exponential(b.every)
    return RateSchedule.with_bursts(base, bursts)


def build(
    topology: Topology, scenario: Scenario, seed: int
) -> tuple[Cluster, ClientWorkload, Nemesis]:
    """A cluster ready to run: every component created, every process started (the
    scenario's random failure profiles drawn into its timeline for this seed first)."""
    scenario = with_random_failures(topology, scenario, seed)
    c = Cluster(topology, scenario, seed)
    backups = topology.backups
    if backups is not None and backups.delayed_replica is not None:
        c.delayed[backups.delayed_replica.node] = backups.delayed_replica.delay
    schedule = write_schedule(
        topology.workload, scenario.duration + scenario.settle, c.rng("bursts")
    )
    rep = topology.replication
    db_hosts = topology.hosts_of("db")
    every_primary = isinstance(rep, MultiPrimary | Leaderless)
    if every_primary:
        # The application's writes spread over the nodes (each leaderless write lands on n).
        copies = 1
        if isinstance(rep, Leaderless):
            regions = {c.net.region_of[h] for h in db_hosts}
            copies = rep.n * (len(regions) if rep.local else 1)
        schedule = schedule.scaled(copies / len(db_hosts))
    c.schedule = schedule
    primary = topology.database.initial_primary
    root = c.lineages.root(0.0, primary)
    for name in db_hosts:
        lineage = c.lineages.root(0.0, name) if every_primary and name != primary else root
        node = DbNode(c, name, lineage, primary=every_primary or name == primary)
        if not every_primary and name != primary:
            node.upstream = primary
        c.nodes[name] = node
        c.record_role(name, node.role, lineage, 0.0)
    if isinstance(rep, MultiPrimary):
        c.replication = MeshReplication(c)  # type: ignore[assignment]
    elif isinstance(rep, Leaderless):
        c.replication = LeaderlessReplication(c, rep)  # type: ignore[assignment]
    else:
        c.replication = Replication(c)
    c.hotkeys = HotKeys(c.replication.held_of, c.replication.visible_lineages)
    c.on_network_change(c.replication.network_changed)
    fo = topology.failover
    if isinstance(fo, Lease):
        c.controller = LeaseFamily(c, fo)
    elif isinstance(fo, Consensus):
        c.controller = ConsensusFamily(c, fo)
    elif isinstance(fo, Manual):
        c.controller = ManualFamily(c, fo)
    elif isinstance(fo, Observers):
        c.controller = ObserversFamily(c, fo)
    else:
        c.controller = NoFailoverFamily(c)
    if topology.standby_cluster is not None:
        c.controller = StandbyClusterController(c, c.controller, topology.standby_cluster)
    c.router = build_router(c)
    c.requests = RequestService(c)
    workload = ClientWorkload(c, topology.workload)
    c.workload = workload
    nemesis = Nemesis(c)
    c.replication.start()
    c.controller.start()
    c.router.start()
    workload.start()
    nemesis.start()
    if backups is not None:
        # Last, so that a topology without backups runs exactly as it always did.
        service = BackupService(c, backups)
        service.start()
        c.on_log(service.log_started)
        RestoreRunbook(c, backups, service).start()
    # Restarted in the same order at every incident window's start (ties break by it).
    if hasattr(c.replication, "rebase"):
        c.on_rebase(c.replication.rebase)
    c.on_rebase(c.controller.rebase)
    c.on_rebase(c.router.rebase)
    c.on_rebase(workload.rebase)
    c.on_rebase(nemesis.rebase)
    for part in (c.replication, c.controller, c.router):
        if hasattr(part, "agenda"):  # the families and replications that have one
            c.on_agenda(part.agenda)
    return c, workload, nemesis
