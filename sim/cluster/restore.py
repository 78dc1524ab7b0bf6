"""The restore runbook: recovering from what replication cannot fix.

Two disasters start it. The loss of every database node: once none has run for the alert
delay, monitoring pages; a human responds and decides (or an automation starts at once), a
host is chosen (the first listed whose zone still has a host up; a lost one is replaced),
a base backup is fetched, the archived log replayed as far as it reaches, and the new primary
opens on a new lineage. Logical corruption: errors on the missing object page a human, who
first stops the delayed replica's replay if it has not applied the corruption yet, then
decides; the recovery target is the corruption's time less the runbook's margin, and either
the whole database goes back there (every later write discarded) or a side instance is
restored there and the object copied back into the live database.

A backup that failed without anyone noticing is found out when its download is done: the
restore then starts again from the next best one. A store out of reach is waited for.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.cluster.backups import BackupService, Plan
from sim.cluster.node import DbNode
from sim.cluster.objects import ObjectEvent
from sim.history import Recovery
from sim.sampling import sample
from sim.spec.backup import Backups
from sim.spec.failover import Manual

if TYPE_CHECKING:
    import simpy

    from sim.cluster.core import Cluster

Steps = Generator[Any, Any, Any]
Target = tuple[int, float]


class RestoreRunbook:
    """Watches for the loss of every node and for logical corruption, and restores."""

    def __init__(self, cluster: Cluster, spec: Backups, backups: BackupService) -> None:
        assert isinstance(cluster.topo.failover, Manual)
        self.c = cluster
        self.spec = spec
        self.runbook = spec.restore
        self.human = cluster.topo.failover
        self.backups = backups
        self.rng = cluster.rng("restore")
        self._lost_since: float | None = None
        self._busy = False
        # Steps waiting for the next change (a store back in reach, a restore finished).
        self._waiting: list[simpy.Event] = []

    def start(self) -> None:
        self.c.on_change(self._observe)
        self.c.objects.on_loss(self._corrupted)

    # --- watching ------------------------------------------------------------------------

    def _lost(self) -> bool:
        """No database node of the cluster runs."""
        return not any(n.host_up and n.serving for n in self.c.nodes.values())

    def _back(self) -> bool:
        """A host of the lost cluster is up again, disk and all (not one being restored)."""
        return any(n.host_up and n.busy != "restoring" for n in self.c.nodes.values())

    def _observe(self) -> None:
        waiting, self._waiting = self._waiting, []
        for ev in waiting:
            ev.succeed()
        if self._busy:
            return
        if not self._lost():
            self._lost_since = None
        elif self._lost_since is None:
            self._lost_since = self.c.env.now
            self.c.env.process(self._cluster_lost(self._lost_since))

    def _wait_change(self) -> Any:
        """An event that fires at the next change in the cluster or the network."""
        ev = self.c.env.event()
        self._waiting.append(ev)
        return ev

    def _respond(self) -> Steps:
        """The on-call human: from the page to a decision at the keyboard."""
        yield self.c.env.timeout(sample(self.human.response, self.rng))

    # --- the loss of every node ----------------------------------------------------------

    def _cluster_lost(self, since: float) -> Steps:
        c = self.c
        yield c.env.timeout(self.human.alert_delay)
        if self._lost_since != since or self._busy:
            return
        self._busy = True
        watcher = c.topo.database.initial_primary
        c.event("failure_detected", watcher, "every database node lost: page sent")
        if self.runbook.by == "manual":
            yield from self._respond()
            yield c.env.timeout(sample(self.runbook.decide, self.rng))
        if not self._lost():
            self._stand_down(watcher)
            return
        yield from self._restore_whole(None, in_place=None)

    def _stand_down(self, where: str) -> None:
        """A database node runs again, or its host came back with its disk: the restore of a
        lost cluster is called off, and the failover family takes it from there."""
        self.c.event("stand_down", where, "the lost cluster is back")
        self.c.restoring = False
        self._busy = False
        self._lost_since = None

    # --- logical corruption --------------------------------------------------------------

    def _corrupted(self, loss: ObjectEvent) -> None:
        self.c.env.process(self._corruption(loss))

    def _corruption(self, loss: ObjectEvent) -> Steps:
        c = self.c
        primary = self._primary()
        where = primary.name if primary is not None else c.topo.database.initial_primary
        yield c.env.timeout(self.human.alert_delay)
        c.event("failure_detected", where, "errors on a missing object: page sent")
        yield from self._respond()
        delayed = self._stop_delayed(loss)
        yield c.env.timeout(sample(self.runbook.decide, self.rng))
        while self._busy:
            yield self._wait_change()
        self._busy = True
        t_target = loss.t - self.runbook.target_margin
        target = (loss.lineage, self.backups.lsn_at(loss.lineage, t_target))
        whole = self.runbook.corruption == "whole"
        if delayed is not None:
            yield from self._from_delayed(delayed, target, loss, whole)
        elif whole:
            yield from self._restore_whole(target, in_place=self._primary())
        else:
            yield from self._restore_object(target, loss.share)
        self._busy = False

    def _primary(self) -> DbNode | None:
        nodes = [self.c.nodes[n] for n in sorted(self.c.nodes, key=self.c.order)]
        return next((n for n in nodes if n.writable and n.host_up), None)

    def _stop_delayed(self, loss: ObjectEvent) -> DbNode | None:
        """Pause the delayed replica's replay, if it has not applied the corruption yet."""
        c = self.c
        for name in sorted(c.delayed, key=c.order):
            node = c.nodes[name]
            if not (node.host_up and node.serving) or node.standby is None:
                continue
            limit = c.lineages.shared_limit(loss.lineage, node.lineage)
            applied = node.standby.applied(c.env.now)
            if limit is not None and applied >= min(limit, loss.lsn):
                c.event("delayed_replica_too_late", name, "it has applied the corruption")
                continue
            node.standby.pause_replay(c.env.now)
            c.event("replay_paused", name, "before the corruption")
            return node
        return None

    def _given_up(self, lineage: int, covered: float) -> float:
        """How far a restore to a target on `lineage` gave it up by choice: everything the
        live history holds there now, beyond what the source held."""
        return max(covered, self.backups.lsn_at(lineage, self.c.env.now))

    def _stop_primary(self) -> None:
        """The runbook stops the damaged primary before a whole restore: nothing it would
        still acknowledge survives."""
        primary = self._primary()
        if primary is not None:
            primary.crash(host_down=False)

    def _from_delayed(self, node: DbNode, target: Target, loss: ObjectEvent, whole: bool) -> Steps:
        """Replay the delayed replica up to the target, then promote it or copy from it."""
        c = self.c
        assert node.standby is not None
        c.event("restore_started", node.name, "from the delayed replica")
        if whole:
            c.restoring = True
            self._stop_primary()
        now = c.env.now
        applied = node.standby.applied(now)
        received = node.standby.received(now)
        yield c.env.timeout(max(target[1] - applied, 0.0) / c.topo.database.apply_rate)
        c.event("restore_replayed", node.name, "to the recovery target")
        covered = self._given_up(target[0], received)
        if whole:
            c.replication.standby_stopped(node, keep_flushed=False)
            yield from self._open(node, target, target[1], covered)
            c.restoring = False
        else:
            yield from self._copy_object(target, target[1], covered, loss.share)
        c.delayed.pop(node.name, None)

    # --- restores from backups -----------------------------------------------------------

    def _choose_host(self) -> str | None:
        """The first restore host whose zone still has a host up (a lost host is replaced
        there); None when every listed zone is dark."""
        net = self.c.net
        for host in self.runbook.hosts:
            zone = net.zone_of[host]
            if any(net.up[h] for h in net.hosts() if net.zone_of[h] == zone):
                return host
        return None

    def _prepare(self, host: str) -> Steps:
        """A node on `host` ready to be restored into: a replacement instance for a lost
        host, a new database node on a spare one; its old state is gone."""
        c = self.c
        node = c.nodes.get(host)
        if node is None:
            # Nothing ran on a spare host: a database node is created there.
            node = DbNode(c, host, c.nodes[c.topo.database.initial_primary].lineage, False)
            node.process = "stopped"
            c.nodes[host] = node
            c.replication.add_node(host)
        elif node.process != "stopped":
            node.crash(host_down=False)
        node.epoch += 1
        node.busy = "restoring"
        yield c.env.timeout(self.runbook.provision)
        if not c.net.up[host]:
            c.power_on(host)
            yield c.booted(host)
        node.busy = "restoring"
        if node.log is not None:
            node.log.set_growing(c.env.now, False)
        # An empty disk: it holds nothing of the run's log until the restore is done.
        node.log = None
        node.role = "replica"
        node.standby = node.empty_log(c.env.now)
        node.process = "stopped"
        return node

    def _plan(self, host: str, target: Target | None) -> Steps:
        """The best plan `host` can reach, waiting for a store to come back when none is;
        None when, meanwhile, a host of a lost cluster came back (`target` None)."""
        c = self.c
        blocked = False
        while True:
            plan = self.backups.plan(host, target)
            if plan is not None:
                return plan
            if not blocked:
                c.event("restore_blocked", host, "no usable backup within reach")
                blocked = True
            yield self._wait_change()
            if target is None and self._back():
                return None

    def _fetch(self, host: str, target: Target | None) -> Steps:
        """Fetch and replay until a plan's backups all restore; returns the plan (None when
        the restore was called off)."""
        c = self.c
        while True:
            plan: Plan | None = yield from self._plan(host, target)
            if plan is None:
                return None
            yield c.env.timeout(plan.fetch_s)
            bad = self.backups.reject(plan)
            if bad is not None:
                c.event("backup_invalid", host, f"{bad.job} in {bad.store} does not restore")
                continue
            c.event("restore_fetched", host, f"{plan.chain[-1].job} from {plan.chain[-1].store}")
            yield c.env.timeout(plan.replay_s)
            c.event("restore_replayed", host, "to the recovery point")
            return plan

    def _restore_whole(self, target: Target | None, in_place: DbNode | None) -> Steps:
        """The whole database back to `target` (the newest point within reach when None), on
        the primary's own host (`in_place`) or on the first usable restore host."""
        c = self.c
        host = in_place.name if in_place is not None else self._choose_host()
        while host is None:
            yield self._wait_change()
            if self._back():
                self._stand_down(c.topo.database.initial_primary)
                return
            host = self._choose_host()
        c.event("restore_started", host, "whole database")
        c.restoring = True
        node: DbNode = yield from self._prepare(host)
        c.event("restore_host_ready", host, "instance up, download starts")
        plan: Plan | None = yield from self._fetch(host, target)
        if plan is None:
            node.busy = None
            self._stand_down(host)
            return
        if target is None:
            yield from self._open(node, (plan.lineage, plan.point), plan.point, plan.covered)
        else:
            covered = self._given_up(target[0], plan.covered)
            yield from self._open(node, (plan.lineage, plan.point), target[1], covered, target[0])
        c.restoring = False
        self._busy = False
        self._lost_since = None

    def _open(
        self,
        node: DbNode,
        point: Target,
        chosen: float,
        covered: float,
        seen_from: int | None = None,
    ) -> Steps:
        """End of recovery: `node` opens for writes on a new lineage forked at `point`; the
        history records the `chosen` target and what was given up, on the lineage the
        target was chosen on (`seen_from`, the point's own by default)."""
        c = self.c
        yield c.env.timeout(c.topo.database.promote)
        lineage, lsn = point
        new = node.open_restored(lineage, lsn)
        view = lineage if seen_from is None else seen_from
        c.history.recoveries.append(
            Recovery(c.env.now, node.name, view, round(lsn), round(chosen), round(covered),
                     new, round(lsn), 1.0)
        )  # fmt: skip
        c.event("restore_done", node.name, f"lineage {new}")
        c.event("promotion_done", node.name, f"lineage {new}")
        c.controller.adopt(node)

    def _restore_object(self, target: Target, share: float) -> Steps:
        """A side instance restored to `target`; the object copied back from it."""
        c = self.c
        primary = self._primary()
        host = primary.name if primary is not None else self.runbook.hosts[0]
        c.event("restore_started", host, "side instance for one object")
        c.event("restore_host_ready", host, "side instance up, download starts")
        plan: Plan | None = yield from self._fetch(host, target)
        assert plan is not None, "a corruption's restore waits for its backups"
        yield from self._copy_object((plan.lineage, plan.point), target[1], plan.covered, share)

    def _copy_object(self, source: Target, chosen: float, covered: float, share: float) -> Steps:
        c = self.c
        size = self.backups.size_at(c.env.now) * share
        yield c.env.timeout(size / self.runbook.copy_rate)
        primary = self._primary()
        while primary is None:
            yield self._wait_change()
            primary = self._primary()
        c.objects.restore(primary, share, source, chosen, self._given_up(source[0], covered))
