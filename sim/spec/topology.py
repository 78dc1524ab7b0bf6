"""A topology file: where the cluster runs, how it replicates, fails over and is reached."""

from __future__ import annotations

from collections import Counter

from pydantic import Field, PrivateAttr, model_validator

from sim.spec.backup import Backups, IncrementalBackup, JobSchedule, LogArchive
from sim.spec.base import Name, RefError, Spec
from sim.spec.cost import Cost
from sim.spec.database import Database
from sim.spec.failover import (
    Consensus,
    Failover,
    Fencing,
    Lease,
    Manual,
    NoFailover,
    Observers,
    StandbyCluster,
)
from sim.spec.network import Network
from sim.spec.notes import Notes
from sim.spec.replication import Leaderless, MultiPrimary, Replication, SemiSync, Sync
from sim.spec.routing import Discovery, Proxy, Routing
from sim.spec.sites import Host, Region
from sim.spec.workload import Workload
from sim.units import Duration


class Topology(Spec):
    """A whole cluster: sites, network, database, replication, failover, routing, workload."""

    name: Name
    description: str
    regions: list[Region] = Field(min_length=1)
    boot: Duration = Field(description="time for a restarted host to boot and start its services")
    network: Network = Network()
    database: Database
    replication: Replication
    failover: Failover
    fencing: Fencing = Fencing(mode="none")
    routing: Routing
    workload: Workload
    standby_cluster: StandbyCluster | None = Field(
        default=None, description="a disaster-recovery standby cluster in another region"
    )
    backups: Backups | None = Field(
        default=None,
        description="backup policy: stores, schedules, log archiving, a delayed replica, and "
        "the restore runbook",
    )
    cost: Cost | None = Field(
        default=None, description="public list prices, for the monthly cost of every result"
    )
    notes: Notes | None = Field(
        default=None,
        description="a preset's sources, the failover time its timers imply, and what it "
        "does not model",
    )

    _warnings: list[str] = PrivateAttr(default_factory=list)

    def hosts(self) -> dict[str, tuple[Host, str, str]]:
        """Every host by name, with its zone and region."""
        return {h.name: (h, z.name, r.name) for r in self.regions for z in r.zones for h in z.hosts}

    def hosts_of(self, kind: str) -> list[str]:
        """Names of the hosts of one kind, in file order."""
        return [h.name for r in self.regions for z in r.zones for h in z.hosts if h.kind == kind]

    @property
    def warnings(self) -> list[str]:
        """Accepted but risky settings, each with the reason."""
        return list(self._warnings)

    @model_validator(mode="after")
    def _references(self) -> Topology:
        hosts = self.hosts()
        self._unique_names()
        db_hosts = self.hosts_of("db")
        if len(db_hosts) == 0:
            raise RefError(("regions",), "no host of kind 'db'", "add at least one db host")
        if self.database.initial_primary not in db_hosts:
            raise RefError(
                ("database", "initial_primary"),
                f"'{self.database.initial_primary}' is not a db host",
                f"use one of: {', '.join(db_hosts)}",
            )
        self._check_standby_cluster(hosts, db_hosts)
        dr = self.standby_cluster.nodes if self.standby_cluster else []
        main = [h for h in db_hosts if h not in dr]
        self._check_replication(main)
        self._check_failover(hosts, main)
        self._check_routing(hosts)
        self._check_backups(hosts, main)
        for i, client in enumerate(self.workload.clients):
            self._expect_kind(hosts, client.host, "client", ("workload", "clients", i, "host"))
            if isinstance(self.routing, Proxy):
                if client.via is None:
                    raise RefError(
                        ("workload", "clients", i),
                        f"client '{client.host}' names no proxy",
                        f"add `via:` with one of: {', '.join(self.routing.proxies)}",
                    )
                if client.via not in self.routing.proxies:
                    raise RefError(
                        ("workload", "clients", i, "via"),
                        f"'{client.via}' is not one of the routing proxies",
                        f"use one of: {', '.join(self.routing.proxies)}",
                    )
            elif client.via is not None:
                raise RefError(
                    ("workload", "clients", i, "via"),
                    "`via` names a proxy, but routing is not by proxy",
                    "remove `via`",
                )
        return self

    def _unique_names(self) -> None:
        names = [h.name for r in self.regions for z in r.zones for h in z.hosts]
        names += [z.name for r in self.regions for z in r.zones] + [r.name for r in self.regions]
        dupes = sorted(n for n, c in Counter(names).items() if c > 1)
        if dupes:
            raise RefError(("regions",), f"names used twice: {', '.join(dupes)}", "rename them")

    @staticmethod
    def _expect_kind(
        hosts: dict[str, tuple[Host, str, str]], name: str, kind: str, loc: tuple[str | int, ...]
    ) -> None:
        if name not in hosts:
            raise RefError(loc, f"no host named '{name}'", "add the host or correct the name")
        if hosts[name][0].kind != kind:
            raise RefError(
                loc, f"'{name}' is a {hosts[name][0].kind} host, not {kind}", f"name a {kind} host"
            )

    def _check_standby_cluster(
        self, hosts: dict[str, tuple[Host, str, str]], db_hosts: list[str]
    ) -> None:
        sc = self.standby_cluster
        if sc is None:
            return
        for i, name in enumerate(sc.nodes):
            self._expect_kind(hosts, name, "db", ("standby_cluster", "nodes", i))
            if name == self.database.initial_primary:
                raise RefError(
                    ("standby_cluster", "nodes", i),
                    f"'{name}' is the main cluster's initial primary",
                    "name standby hosts only",
                )
        if isinstance(self.replication, MultiPrimary | Leaderless):
            raise RefError(
                ("standby_cluster",),
                "every node of a multi-primary or leaderless cluster takes writes: it has no "
                "primary for a standby cluster to follow",
                "remove standby_cluster, or use a single-primary replication mode",
            )
        if isinstance(self.failover, Consensus):
            for i, name in enumerate(self.failover.priority):
                if name in sc.nodes:
                    raise RefError(
                        ("failover", "priority", i),
                        f"'{name}' belongs to the standby cluster, which takes no part in "
                        "the main cluster's elections",
                        "remove it from the priority list",
                    )
        if sc.promotion == "manual" and sc.response is None:
            raise RefError(
                ("standby_cluster", "response"),
                "a manual promotion needs the on-call response time",
                "add `response:` (e.g. {median: 15m, p99: 1h})",
            )
        main_regions = {hosts[h][2] for h in db_hosts if h not in sc.nodes}
        shared = sorted({hosts[h][2] for h in sc.nodes} & main_regions)
        if shared:
            self._warnings.append(
                f"the standby cluster shares region {', '.join(shared)} with the main cluster: "
                "a region loss takes both"
            )

    def _check_replication(self, db_hosts: list[str]) -> None:
        rep = self.replication
        standbys = len(db_hosts) - 1
        if isinstance(rep, Sync):
            if rep.standbys != "all":
                for i, name in enumerate(rep.standbys):
                    if name not in db_hosts:
                        raise RefError(
                            ("replication", "standbys", i),
                            f"'{name}' is not a db host",
                            f"use db hosts: {', '.join(db_hosts)}",
                        )
                standbys = len([s for s in rep.standbys if s != self.database.initial_primary])
            relaxable = isinstance(self.failover, Lease) and self.failover.synchronous_mode == "on"
            if rep.num_sync > standbys and not relaxable:
                raise RefError(
                    ("replication", "num_sync"),
                    f"sync replication waits for {rep.num_sync} standbys but only {standbys} "
                    "can exist, and nothing may relax it: no write can ever be acknowledged",
                    "lower num_sync, add standbys, or let the controller relax the sync set",
                )
        if isinstance(rep, SemiSync) and rep.wait_for > standbys:
            self._warnings.append(
                f"semi-sync waits for {rep.wait_for} replicas but only {standbys} exist: every "
                "commit waits the full timeout once, then replication runs async"
            )

    def _check_failover(self, hosts: dict[str, tuple[Host, str, str]], db: list[str]) -> None:
        fo = self.failover
        every_primary = isinstance(self.replication, MultiPrimary | Leaderless)
        if every_primary != isinstance(fo, NoFailover):
            raise RefError(
                ("failover", "family"),
                "multi-primary and leaderless replication need failover family `none`, and "
                "only they can do without a failover",
                "pair family none with replication multi_primary or leaderless",
            )
        if isinstance(self.replication, Leaderless):
            rep = self.replication
            if rep.n > len(db) or rep.w > rep.n or rep.r > rep.n:
                raise RefError(
                    ("replication",),
                    f"n = {rep.n}, w = {rep.w}, r = {rep.r} with {len(db)} db hosts: "
                    "need w <= n, r <= n and n <= db hosts",
                    "lower n, w or r, or add db hosts",
                )
            if rep.local:
                per_region = Counter(hosts[name][2] for name in db)
                short = sorted(r for r, count in per_region.items() if count < rep.n)
                if short:
                    raise RefError(
                        ("replication", "local"),
                        f"n = {rep.n} replicas in every region, but {', '.join(short)} "
                        f"has fewer db hosts",
                        "lower n, or add db hosts to those regions",
                    )
        if isinstance(fo, Observers):
            for i, name in enumerate(fo.observers):
                self._expect_kind(hosts, name, "observer", ("failover", "observers", i))
            if fo.quorum > len(fo.observers):
                raise RefError(
                    ("failover", "quorum"),
                    f"a quorum of {fo.quorum} out of {len(fo.observers)} observers can never "
                    "agree that the primary is down: no failover could ever start",
                    "lower the quorum or add observers",
                )
        if isinstance(fo, Consensus):
            for i, name in enumerate(fo.priority):
                self._expect_kind(hosts, name, "db", ("failover", "priority", i))
        if not isinstance(fo, Lease):
            return
        if fo.store is None:
            raise RefError(
                ("failover",),
                "a lease family keeps its leader key in a consensus store, and none is given: "
                "no node could ever be elected primary",
                "add failover.store with the dcs hosts of its members",
            )
        for i, name in enumerate(fo.store.members):
            self._expect_kind(hosts, name, "dcs", ("failover", "store", "members", i))
        if fo.synchronous_mode != "off" and not isinstance(self.replication, Sync):
            raise RefError(
                ("failover", "synchronous_mode"),
                "synchronous_mode needs `replication.mode: sync`",
                "set replication to sync, or synchronous_mode to off",
            )
        if fo.loop_wait + 2 * fo.retry_timeout > fo.ttl:
            self._warnings.append(
                f"loop_wait + 2 × retry_timeout = {fo.loop_wait + 2 * fo.retry_timeout:g} s "
                f"exceeds ttl = {fo.ttl:g} s: a primary cut off from the store may still be "
                "acknowledging writes when its key expires and another node is promoted"
            )
        if len(db) < 2:
            self._warnings.append("a single db host: a failover has no candidate")

    def _check_backups(self, hosts: dict[str, tuple[Host, str, str]], main: list[str]) -> None:
        bk = self.backups
        kinds = {h: info[0].kind for h, info in hosts.items()}
        if bk is None:
            for name, kind in kinds.items():
                if kind in ("backup", "spare"):
                    raise RefError(
                        ("regions",),
                        f"'{name}' is a {kind} host, but the topology has no `backups:`",
                        "add a backup policy that uses it, or remove the host",
                    )
            return
        if not isinstance(self.failover, Manual):
            raise RefError(
                ("backups",),
                "restoring a cluster that an automatic failover manages (a leader key, "
                "elections, observers) is not modelled",
                "use failover family manual with a backup policy",
            )
        stores = [s.host for s in bk.stores]
        for i, store in enumerate(bk.stores):
            self._expect_kind(hosts, store.host, "backup", ("backups", "stores", i, "host"))
        if len(set(stores)) != len(stores):
            raise RefError(("backups", "stores"), "a store is listed twice", "list it once")
        fulls = [s for s in bk.schedules if s.kind == "full"]
        for i, sched in enumerate(bk.schedules):
            for k, name in enumerate(sched.to):
                if name not in stores:
                    raise RefError(
                        ("backups", "schedules", i, "to", k),
                        f"'{name}' is not a backup store",
                        f"use one of: {', '.join(stores)}",
                    )
            if isinstance(sched, LogArchive):
                continue
            self._check_job(hosts, sched, i)
            if isinstance(sched, IncrementalBackup) and not fulls:
                raise RefError(
                    ("backups", "schedules", i, "kind"),
                    f"an {sched.kind} backup restores only on top of a full one, and no "
                    "schedule takes full backups",
                    "add a schedule of kind full",
                )
        dr = bk.delayed_replica
        if dr is not None:
            self._expect_kind(hosts, dr.node, "db", ("backups", "delayed_replica", "node"))
            if dr.node not in main or dr.node == self.database.initial_primary:
                raise RefError(
                    ("backups", "delayed_replica", "node"),
                    f"'{dr.node}' is the initial primary or a standby cluster's node",
                    "name a standby of the main cluster",
                )
        for i, name in enumerate(bk.restore.hosts):
            loc = ("backups", "restore", "hosts", i)
            if name not in hosts:
                raise RefError(loc, f"no host named '{name}'", "add the host or correct the name")
            if kinds[name] not in ("db", "spare"):
                raise RefError(loc, f"'{name}' is a {kinds[name]} host", "name a db or spare host")
        unused = [h for h, k in kinds.items() if k == "spare" and h not in bk.restore.hosts]
        unused += [h for h, k in kinds.items() if k == "backup" and h not in stores]
        if unused:
            raise RefError(
                ("regions",),
                f"{', '.join(unused)}: a spare or backup host nothing uses",
                "list it in backups.restore.hosts or backups.stores, or remove it",
            )

    def _check_job(
        self, hosts: dict[str, tuple[Host, str, str]], sched: JobSchedule, i: int
    ) -> None:
        if sched.on not in ("primary", "replica"):
            self._expect_kind(hosts, sched.on, "db", ("backups", "schedules", i, "on"))

    def _check_routing(self, hosts: dict[str, tuple[Host, str, str]]) -> None:
        routing = self.routing
        every_primary = isinstance(self.replication, MultiPrimary | Leaderless)
        needs_driver = every_primary or self.workload.reads_from != "primary"
        if needs_driver and not isinstance(routing, Discovery):
            raise RefError(
                ("routing", "kind"),
                "choosing the nearest node or a replica takes a topology-aware driver",
                "use routing kind discovery",
            )
        asks_observers = isinstance(routing, Discovery) and routing.source == "observers"
        if asks_observers and not isinstance(self.failover, Observers):
            raise RefError(
                ("routing", "source"),
                "clients cannot ask observers for the primary: the failover family has none",
                "use source: nodes, or the observers family",
            )
        if isinstance(self.routing, Proxy):
            for i, name in enumerate(self.routing.proxies):
                self._expect_kind(hosts, name, "proxy", ("routing", "proxies", i))
