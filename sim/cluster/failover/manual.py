"""The `manual` failover family: monitoring pages a human, who follows a runbook.

Monitoring watches the primary; once it has been unhealthy for `alert_delay` (scrape interval
plus the alert rule's `for`), it pages (`failure_detected`). The on-call engineer responds after
a draw from `response`. If the primary is healthy again by then, they stand down; if only its
database process is down on a live host, they restart it in place; otherwise they pick the most
advanced standby (`leader_elected`), work through the promotion runbook (a draw from
`promotion`), promote it, repoint the other standbys and update the route. With no standby to
promote, they wait until a host comes back instead of paging themselves again and again.

Without an agent, a database that comes back after its host rebooted starts in its last role, as
its service manager starts it: a former primary comes back as a primary on its old lineage,
which stale clients may still write to, until the engineer, paged again, rebuilds it as a
standby (after a response draw).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.cluster.core import Controller
from sim.sampling import sample
from sim.spec.failover import Manual

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode


class ManualFamily(Controller):
    """Monitoring, paging, and an on-call engineer working a runbook."""

    def __init__(self, cluster: Cluster, spec: Manual) -> None:
        super().__init__(cluster)
        self.spec = spec
        self.primary = cluster.topo.database.initial_primary
        self.rng = cluster.rng("on-call")
        self._incident = False
        self._unhealthy_since: float | None = None
        # No standby could be promoted: the engineer waits for a host to come back.
        self._stuck = False
        # When monitoring pages, when the engineer responds, and whether they are at work.
        self._page_at: float | None = None
        self._respond_at: float | None = None
        self._in_runbook = False
        # When the engineer will rebuild the nodes that do not follow the primary.
        self._rebuild_at: float | None = None

    def start(self) -> None:
        self.c.on_change(self._observe)

    # --- monitoring ----------------------------------------------------------------------

    def _healthy(self) -> bool:
        node = self.c.nodes[self.primary]
        return node.host_up and node.writable

    def _observe(self) -> None:
        if self._healthy():
            self._unhealthy_since = None
            self._page_at = None  # the alert process stands down when it wakes
            self._stuck = False
            return
        if self._stuck:
            return  # nothing the engineer can do until a host comes back
        if self._unhealthy_since is None and not self._incident:
            self._unhealthy_since = self.c.env.now
            self.c.env.process(self._alert(self._unhealthy_since))

    def _alert(self, since: float) -> Generator[Any, Any, None]:
        self._page_at = since + self.spec.alert_delay
        yield self.c.env.timeout(self.spec.alert_delay)
        yield from self._page(since)

    def _page(self, since: float) -> Generator[Any, Any, None]:
        if self._unhealthy_since != since or self._incident:
            return  # a page of an episode that ended (another one may be pending)
        self._page_at = None
        self._incident = True
        self.c.event("failure_detected", self.primary, "page sent")
        response = sample(self.spec.response, self.rng)
        self._respond_at = self.c.env.now + response
        yield self.c.env.timeout(response)
        yield from self._responded()

    def _responded(self) -> Generator[Any, Any, None]:
        self._respond_at = None
        self._in_runbook = True
        yield from self._respond()
        self._in_runbook = False
        self._incident = False
        self._unhealthy_since = None
        self._observe()

    def _resume(self, at: float, step: Generator[Any, Any, None]) -> Generator[Any, Any, None]:
        yield self.c.env.timeout(at - self.c.env.now)
        yield from step

    # --- the runbook ---------------------------------------------------------------------

    def _respond(self) -> Generator[Any, Any, None]:
        old = self.c.nodes[self.primary]
        if self._healthy():
            self.c.event("stand_down", self.primary, "primary healthy again")
            return
        if old.host_up and old.process == "stopped" and old.busy is None:
            self.c.event("restart_in_place", old.name)
            yield self.c.env.process(old.start(as_primary=True))
            return
        if self.c.restoring:
            self.c.event("stand_down", self.primary, "a restore owns the cluster")
            return
        candidates = [
            n
            for n in (self.c.nodes[m] for m in self.managed())
            if n.name != old.name and n.promotable and n.name not in self.c.delayed
        ]
        if not candidates:
            self.c.event("no_candidate", old.name)
            self._stuck = True
            return
        now = self.c.env.now
        new = max(candidates, key=lambda n: (n.position(now), -self.c.order(n.name)))
        self.c.event("leader_elected", new.name, "chosen by the on-call engineer")
        yield self.c.env.timeout(sample(self.spec.promotion, self.rng))
        if not (new.serving and new.role == "replica" and new.busy is None):
            self.c.event("promotion_aborted", new.name)
            return
        yield self.c.env.process(new.promote())
        if not new.writable:
            return
        self.primary = new.name
        for name in self.managed():
            other = self.c.nodes[name]
            if other is not new and other.role == "replica" and other.busy is None:
                self.repoint(other, new)
        self.c.router.primary_changed(new.name)
        if old.host_up and old.process != "stopped" and self._rebuild_at is None:
            # The old primary came back before the failover finished: it still runs as a
            # primary of its own lineage until the engineer rebuilds it.
            self._rebuild_later()

    # --- incident windows ----------------------------------------------------------------

    def settled(self) -> bool:
        """The engineer is not working a runbook; a page still to be sent, a response still
        to come and a rebuild still to start are on the `agenda`."""
        return not self._in_runbook

    def agenda(self) -> list[float]:
        times = (self._page_at, self._respond_at, self._rebuild_at)
        return [t for t in times if t is not None]

    def rebase(self) -> None:
        if self._page_at is not None:
            assert self._unhealthy_since is not None
            self.c.env.process(self._resume(self._page_at, self._page(self._unhealthy_since)))
        if self._respond_at is not None:
            self.c.env.process(self._resume(self._respond_at, self._responded()))
        if self._rebuild_at is not None:
            self.c.env.process(self._rebuild())

    # --- Controller ----------------------------------------------------------------------

    def adopt(self, node: DbNode) -> None:
        self.primary = node.name
        super().adopt(node)

    def reports_primary(self, node: str, prober: str) -> bool | None:
        # No agent: a role check can only ask the database whether it is in recovery.
        if not self.c.net.connected(prober, node):
            return None
        db = self.c.nodes[node]
        return db.writable and db.process == "running"

    def host_powered(self, host: str, up: bool) -> None:
        if up:
            self._stuck = False
        if up and host in self.c.nodes:
            node = self.c.nodes[host]
            node.process = "stopped"
            self.restart_db(host)
            if host != self.primary and self._rebuild_at is None:
                # A node that comes back after a failover (a former primary starts as a
                # primary): monitoring shows it, and the engineer rebuilds it as a standby.
                self._rebuild_later()

    def heal(self) -> None:
        """After the incident the engineer rebuilds every node that is not on the primary's
        lineage (or not streaming from it) as its standby."""
        if self._rebuild_at is None:
            self._rebuild_later()

    def _rebuild_later(self) -> None:
        self._rebuild_at = self.c.env.now + sample(self.spec.response, self.rng)
        self.c.env.process(self._rebuild())

    def _rebuild(self) -> Generator[Any, Any, None]:
        assert self._rebuild_at is not None
        yield self.c.env.timeout(self._rebuild_at - self.c.env.now)
        self._rebuild_at = None
        primary = self.c.nodes[self.primary]
        if not primary.writable:
            return
        for name in self.managed():
            node = self.c.nodes[name]
            if node is primary or node.busy is not None or not node.host_up:
                continue
            if node.role == "primary" and node.serving:
                self.c.event("demote", name, "rebuilt by the on-call engineer")
                yield self.c.env.process(node.demote(then_standby=False))
                self.c.env.process(node.rejoin(primary))
            elif node.role == "replica" and node.upstream != primary.name:
                self.repoint(node, primary)
