"""A standby cluster in another region, for disaster recovery, around any failover family.

The main cluster's family manages its own nodes; the standby cluster's nodes stream
asynchronously from whichever node is the main primary (they re-point when it changes) and
never count toward its commit rule. A monitor in the standby region watches for a writable
main primary it can reach; once none has been reachable for `detect`, the disaster is
declared: an automatic monitor goes straight to the promotion steps, a manual set-up pages a
human, who decides after a response time if the main cluster is still gone. The most advanced
standby node is promoted (a new lineage), the others follow it, and the runbook retires the
main cluster: its database hosts are powered off as soon as they can be reached (at the end of
the incident if not before) and stay off, so that the old primary never comes back as a
second primary.

Why the monitor cannot tell a lost region from a cut link: it sees what the standby region
sees. An automatic promotion during a cross-region cut leaves two primaries accepting writes
until the runbook reaches the old one; that split brain is the price of automatic regional
failover without a witness, and the model produces it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.cluster.core import Controller
from sim.history import Decision
from sim.sampling import sample
from sim.spec.failover import StandbyCluster

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode


class StandbyClusterController(Controller):
    """The main cluster's family, plus a standby cluster it knows nothing about."""

    def __init__(self, cluster: Cluster, main: Controller, spec: StandbyCluster) -> None:
        super().__init__(cluster)
        self.main = main
        self.spec = spec
        self.nodes = [n for n in sorted(cluster.nodes, key=cluster.order) if n in spec.nodes]
        # Asked on every change in the cluster: kept rather than sorted each time.
        self.main_nodes = main.managed()
        self.rng = cluster.rng("standby-cluster")
        self.promoted: str | None = None
        self._lost_since: float | None = None
        self._declared = False

    def start(self) -> None:
        self.main.start()
        self.c.on_change(self._observe)

    # --- following the main cluster and watching it ----------------------------------------

    def _watcher(self) -> str | None:
        """The standby node whose view decides (the first one up)."""
        return next((n for n in self.nodes if self.c.nodes[n].host_up), None)

    def _main_primary(self, seen_from: str | None) -> DbNode | None:
        """The main cluster's writable primary (the newest lineage), as `seen_from` reaches it
        (anyone when None)."""
        primaries = [
            self.c.nodes[n]
            for n in self.main_nodes
            if self.c.nodes[n].writable
            and (seen_from is None or self.c.net.connected(seen_from, n))
        ]
        return max(primaries, key=lambda n: n.lineage) if primaries else None

    def _observe(self) -> None:
        if self.promoted is not None:
            return
        watcher = self._watcher()
        primary = self._main_primary(watcher) if watcher is not None else None
        if primary is not None:
            self._lost_since = None
            self._follow(primary)
            return
        if self._lost_since is None and watcher is not None and not self._declared:
            self._lost_since = self.c.env.now
            self.c.env.process(self._declare(self._lost_since))

    def _follow(self, primary: DbNode) -> None:
        """Standby nodes stream from the main primary (the standby cluster's configuration
        names the main cluster's endpoint, which follows its failovers)."""
        for name in self.nodes:
            node = self.c.nodes[name]
            if node.role != "replica" or node.busy is not None or node.upstream == primary.name:
                continue
            if node.serving:
                self.repoint(node, primary)

    def _still_lost(self) -> bool:
        watcher = self._watcher()
        return watcher is not None and self._main_primary(watcher) is None

    def _declare(self, since: float) -> Generator[Any, Any, None]:
        yield self.c.env.timeout(self.spec.detect)
        if self._lost_since != since or self._declared or self.promoted is not None:
            return
        self._declared = True
        watcher = self._watcher() or self.nodes[0]
        if self.spec.promotion == "manual":
            self.c.event("failure_detected", watcher, "main cluster lost: page sent")
            assert self.spec.response is not None
            yield self.c.env.timeout(sample(self.spec.response, self.rng))
            if not self._still_lost():
                self._stand_down(watcher)
                return
        else:
            self.c.event("failure_detected", watcher, "main cluster lost: disaster declared")
        yield from self._promote()

    def _stand_down(self, node: str) -> None:
        self.c.event("stand_down", node, "main cluster reachable again")
        self._declared = False
        self._lost_since = None
        self._observe()

    def _promote(self) -> Generator[Any, Any, None]:
        now = self.c.env.now
        candidates = [self.c.nodes[n] for n in self.nodes if self.c.nodes[n].promotable]
        if not candidates:
            self.c.event("no_candidate", self.nodes[0], "no standby cluster node can take over")
            self._declared = False
            return
        new = max(candidates, key=lambda n: (n.position(now), -self.c.order(n.name)))
        self.c.event("leader_elected", new.name, "standby cluster leader")
        yield self.c.env.timeout(sample(self.spec.promote, self.rng))
        if not (new.serving and new.role == "replica" and new.busy is None):
            self.c.event("promotion_aborted", new.name)
            self._declared = False
            return
        if not self._still_lost():
            # The last step of the runbook checks again: the main cluster is back.
            self._stand_down(new.name)
            return
        self._record_decision(new)
        yield self.c.env.process(new.promote())
        if not new.writable:
            self._declared = False
            return
        self.promoted = new.name
        for name in self.nodes:
            other = self.c.nodes[name]
            if other is not new and other.role == "replica" and other.busy is None:
                self.repoint(other, new)
        self.c.router.primary_changed(new.name)
        self._retire_main(new)

    def _record_decision(self, new: DbNode) -> None:
        """The facts for `false_failovers`: the one decider is the standby region's view."""
        old = self._main_primary(None)
        if old is None:
            # No writable main primary anywhere: the one the standby last streamed from.
            old = self.c.nodes[new.upstream] if new.upstream else None
        if old is None:
            return
        reaching = int(self.c.net.connected(new.name, old.name))
        self.c.history.decisions.append(
            Decision(self.c.env.now, new.name, old.name, old.healthy, reaching, 1)
        )

    def _retire_main(self, new: DbNode) -> None:
        """Power off the main cluster's database hosts that can be reached now; every one of
        them stays off from here on."""
        for name in self.main_nodes:
            self.c.retired.add(name)
            if self.c.net.up[name] and self.c.net.connected(new.name, name):
                self.c.event("retired", name, "main cluster retired after the regional failover")
                self.c.power_off(name)

    # --- Controller ----------------------------------------------------------------------

    def accepts_writes(self, node: DbNode) -> bool:
        return True if node.name in self.c.dr_nodes else self.main.accepts_writes(node)

    def serves_reads(self, node: DbNode) -> bool:
        return True if node.name in self.c.dr_nodes else self.main.serves_reads(node)

    def reports_primary(self, node: str, prober: str) -> bool | None:
        if node not in self.c.dr_nodes:
            return self.main.reports_primary(node, prober)
        if not self.c.net.connected(prober, node):
            return None
        db = self.c.nodes[node]
        return db.writable and db.process == "running"

    def primary_seen_from(self, client: str) -> str | None:
        """Observers' answer, unless the standby cluster has taken over."""
        if self.promoted is not None and self.c.net.connected(client, self.promoted):
            return self.promoted
        return self.main.primary_seen_from(client)  # type: ignore[attr-defined,no-any-return]

    def adopt(self, node: DbNode) -> None:
        self.main.adopt(node)

    def host_powered(self, host: str, up: bool) -> None:
        if host not in self.c.dr_nodes:
            self.main.host_powered(host, up)
            return
        if up:
            self.c.nodes[host].process = "stopped"
            self.restart_db(host)

    def db_crashed(self, node: str) -> None:
        if node not in self.c.dr_nodes:
            self.main.db_crashed(node)

    def restart_db(self, node: str) -> None:
        if node not in self.c.dr_nodes:
            self.main.restart_db(node)
        else:
            super().restart_db(node)

    def heal(self) -> None:
        self.main.heal()
        if self.promoted is not None:
            for name in self.main_nodes:
                if self.c.net.up[name]:
                    self.c.event("retired", name, "main cluster retired at the end")
                    self.c.power_off(name)
