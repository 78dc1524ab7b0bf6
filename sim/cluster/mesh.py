"""Multi-primary replication: every node is a primary with its own log, and ships it to every
other node over its own stream (MySQL multi-source or circular replication, DynamoDB global
tables). Commits are acknowledged locally; what a node holds of another's log is what its
stream from that node delivered. A cut stops a stream where it was; it resumes from there
`reconnect` after the link is back."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.cluster.replication import NoStandbys
from sim.wal import WalStream

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.cluster.node import DbNode

Pair = tuple[str, str]


class MeshReplication(NoStandbys):
    """Streams between every ordered pair of primaries."""

    def __init__(self, cluster: Cluster) -> None:
        self.c = cluster
        self.streams: dict[Pair, WalStream] = {}
        # What `dst` holds of `src`'s log while no stream runs: (src, dst) -> position.
        self.kept: dict[Pair, float] = {}
        self._pending: set[Pair] = set()

    def _pairs(self) -> list[Pair]:
        names = sorted(self.c.nodes, key=self.c.order)
        return [(a, b) for a in names for b in names if a != b]

    def start(self) -> None:
        for pair in self._pairs():
            self.kept[pair] = 0.0
            self._connect(pair)

    # --- streams -------------------------------------------------------------------------

    def _ready(self, pair: Pair) -> bool:
        src, dst = (self.c.nodes[n] for n in pair)
        return src.writable and src.log is not None and dst.serving and self.c.net.connected(*pair)

    def _connect(self, pair: Pair) -> None:
        src = self.c.nodes[pair[0]]
        if pair in self.streams or not self._ready(pair) or src.log is None:
            return
        t = self.c.env.now
        latency, bandwidth = self.c.net.stream_link(*pair)
        start = min(self.kept[pair], src.log.value(t))
        self.streams[pair] = WalStream(src.log, t, start, bandwidth, latency, src.spec.wal_fsync)

    def _close(self, pair: Pair, keep_sent: bool) -> None:
        stream = self.streams.pop(pair, None)
        if stream is not None:
            t = self.c.env.now
            self.kept[pair] = stream.sent(t) if keep_sent else stream.received(t)

    def _retry(self, pair: Pair) -> Generator[Any, Any, None]:
        yield self.c.env.timeout(self.c.topo.database.reconnect)
        self._pending.discard(pair)
        self._connect(pair)

    def _schedule(self) -> None:
        for pair in self._pairs():
            if pair not in self.streams and pair not in self._pending and self._ready(pair):
                self._pending.add(pair)
                self.c.env.process(self._retry(pair))

    # --- what a node holds ---------------------------------------------------------------

    def held_of(self, node: str, lineage: int, t: float) -> float:
        return self.held(node, lineage, t)

    def visible_lineages(self, node: str) -> list[int]:
        return [self.c.nodes[n].lineage for n in sorted(self.c.nodes, key=self.c.order)]

    def held(self, node: str, lineage: int, t: float) -> float:
        """How far `node` holds the log of the node whose lineage is `lineage`."""
        src = next((n for n, d in self.c.nodes.items() if d.lineage == lineage), None)
        if src is None or src == node:
            return self.c.nodes[node].position(t)
        stream = self.streams.get((src, node))
        return stream.received(t) if stream is not None else self.kept[(src, node)]

    # --- the interface the nodes and the network use --------------------------------------

    def primary_stopped(self, node: DbNode) -> None:
        for pair in self._pairs():
            if pair[0] == node.name:
                self._close(pair, keep_sent=True)
            elif pair[1] == node.name:
                self._close(pair, keep_sent=False)

    def primary_started(self, node: DbNode) -> None:
        self.refresh(node)
        self._schedule()

    def refresh(self, node: DbNode) -> None:
        if node.log is not None:
            node.log.set_growing(self.c.env.now, node.writable and not node.frozen)

    def network_changed(self) -> None:
        for pair in self._pairs():
            if pair in self.streams and not self.c.net.connected(*pair):
                self._close(pair, keep_sent=False)
        self._schedule()

    def ack_at(self, primary: DbNode, lsn: float, t_commit: float, now: float) -> float:
        return t_commit

    def standbys_of(self, primary: DbNode) -> list[str]:
        return sorted((dst for (src, dst) in self.streams if src == primary.name), key=self.c.order)

    def drain_s(self, primary: DbNode) -> float:
        t = self.c.env.now
        return max(
            (
                s.backlog(t) / s.bandwidth
                for (src, _), s in self.streams.items()
                if src == primary.name
            ),
            default=0.0,
        )
