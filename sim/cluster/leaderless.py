"""Leaderless replication, Dynamo-style (Cassandra, ScyllaDB, Riak): every node coordinates
the requests it receives. A row lives on `n` replicas, the next `n` nodes of the ring from
its key; the coordinator sends a write to all of them and answers after `w` acks (or at once
with Unavailable when fewer than `w` are alive); a read asks the `r` nearest live replicas and
returns the newest version. A replica that is down or cut off gets the write later from the
coordinator's hint, when it is back within `hint_window`.

Each node keeps its own log (a lineage of its own), so that every write applied to a replica
is a commit at a position, and the final state holds every node's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.cluster.hotkeys import Version
from sim.cluster.replication import NoStandbys
from sim.history import Commit
from sim.spec.replication import Leaderless

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode


@dataclass(slots=True)
class Hint:
    """A write a coordinator keeps for a replica that did not get it."""

    replica: str
    key: int
    created: float
    coordinator: str
    version: Version | None


class LeaderlessReplication(NoStandbys):
    """Fan-out writes, quorum reads, hinted handoff."""

    def __init__(self, cluster: Cluster, spec: Leaderless) -> None:
        self.c = cluster
        self.spec = spec
        self.ring = sorted(cluster.nodes, key=cluster.order)
        # Each region's own ring when every region holds n replicas of each row.
        self.rings = (
            [[n for n in self.ring if cluster.net.region_of[n] == r] for r in self._regions()]
            if spec.local
            else [self.ring]
        )
        self.hints: list[Hint] = []
        # When each replica got each row (probe keys): what a read finds there.
        self.applied: dict[tuple[str, int], float] = {}

    def mark(self, replica: str, key: int, t: float) -> None:
        self.applied[(replica, key)] = min(t, self.applied.get((replica, key), t))

    def unmark(self, replica: str, key: int, t: float) -> None:
        if self.applied.get((replica, key)) == t:
            del self.applied[(replica, key)]

    def has(self, replica: str, key: int, t: float) -> bool:
        return self.applied.get((replica, key), float("inf")) <= t

    def start(self) -> None:
        """No streams: writes are sent to the replicas one by one."""

    def _regions(self) -> list[str]:
        regions: list[str] = []
        for name in self.ring:
            if self.c.net.region_of[name] not in regions:
                regions.append(self.c.net.region_of[name])
        return regions

    def replicas(self, key: int) -> list[str]:
        """The nodes that hold row `key`: the next `n` on the ring from its token (on each
        region's ring when replicas are placed per region)."""
        return [
            ring[(key % len(ring) + i) % len(ring)]
            for ring in self.rings
            for i in range(self.spec.n)
        ]

    def counted(self, coordinator: str, key: int) -> list[str]:
        """The replicas of `key` whose acks and answers count toward w and r: all of them, or
        those in the coordinator's region."""
        replicas = self.replicas(key)
        if not self.spec.local:
            return replicas
        region = self.c.net.region_of[coordinator]
        return [r for r in replicas if self.c.net.region_of[r] == region]

    def _alive(self, coordinator: str, replica: str) -> bool:
        node = self.c.nodes[replica]
        reach = replica == coordinator or self.c.net.connected(coordinator, replica)
        return reach and node.serving and not node.frozen

    def plan_write(
        self, coordinator: str, key: int, t: float, version: Version | None
    ) -> list[tuple[str, float, float]] | None:
        """(replica, applied at, its ack back at the coordinator) for the replicas reached, in
        ack order; None when fewer than `w` replicas are alive (Unavailable: not applied).
        The replicas not reached get a hint."""
        net = self.c.net
        plan = []
        missed = []
        for replica in self.replicas(key):
            if not self._alive(coordinator, replica):
                missed.append(replica)
                continue
            if replica == coordinator:
                plan.append((replica, t, t))
            else:
                there = net.link(coordinator, replica).median_s
                back = net.link(replica, coordinator).median_s
                plan.append((replica, t + there, t + there + back))
        counted = self.counted(coordinator, key)
        if sum(1 for p in plan if p[0] in counted) < self.spec.w:
            return None
        if self.spec.hinted_handoff:
            self.hints.extend(Hint(r, key, t, coordinator, version) for r in missed)
        return sorted(plan, key=lambda p: p[2])

    def planned_ack(
        self, coordinator: str, key: int, plan: list[tuple[str, float, float]]
    ) -> float:
        """When the coordinator answers: at the w-th ack of a counted replica."""
        counted = self.counted(coordinator, key)
        return [p[2] for p in plan if p[0] in counted][self.spec.w - 1]

    def read_replicas(self, coordinator: str, key: int) -> list[str] | None:
        """The `r` nearest live replicas of `key`, or None when fewer are alive."""
        live = [r for r in self.counted(coordinator, key) if self._alive(coordinator, r)]
        if len(live) < self.spec.r:
            return None
        live.sort(
            key=lambda r: (
                0.0 if r == coordinator else self.c.net.median(coordinator, r),
                self.c.order(r),
            )
        )
        return live[: self.spec.r]

    def commit_at(self, replica: str, t: float) -> tuple[int, float]:
        node = self.c.nodes[replica]
        assert node.log is not None
        return node.lineage, node.log.value(t)

    # --- hinted handoff ------------------------------------------------------------------

    def network_changed(self) -> None:
        """Replay the hints whose replica the coordinator can reach again (within the hint
        window); the others wait or expire."""
        now = self.c.env.now
        keep = []
        # Hints pile up while a region is away (a few per write): ask once per pair.
        deliverable: dict[tuple[str, str], bool] = {}
        for hint in self.hints:
            if now - hint.created > self.spec.hint_window:
                continue
            pair = (hint.coordinator, hint.replica)
            ok = deliverable.get(pair)
            if ok is None:
                ok = deliverable[pair] = (
                    self._alive(hint.coordinator, hint.replica)
                    and self.c.nodes[hint.coordinator].serving
                )
            if ok:
                lineage, lsn = self.commit_at(hint.replica, now)
                self.c.history.commits.append(
                    Commit(now, hint.replica, hint.key, lineage, round(lsn))
                )
                if hint.version is not None:
                    self.c.hotkeys.apply(hint.replica, hint.key, hint.version, now)
                else:
                    self.mark(hint.replica, hint.key, now)
            else:
                keep.append(hint)
        self.hints = keep

    # --- the interface the nodes use -----------------------------------------------------

    def held_of(self, node: str, lineage: int, t: float) -> float:
        """Versions reach a replica by being applied to it, not by positions."""
        return float("-inf")

    def visible_lineages(self, node: str) -> list[int]:
        return []

    def primary_started(self, node: DbNode) -> None:
        self.refresh(node)
        self.network_changed()

    def primary_stopped(self, node: DbNode) -> None:
        """Nothing in flight to keep: each write was applied where it was applied."""

    def refresh(self, node: DbNode) -> None:
        if node.log is not None:
            node.log.set_growing(self.c.env.now, node.writable and not node.frozen)

    def ack_at(self, primary: DbNode, lsn: float, t_commit: float, now: float) -> float:
        return t_commit

    def standbys_of(self, primary: DbNode) -> list[str]:
        return []

    def drain_s(self, primary: DbNode) -> float:
        return 0.0
