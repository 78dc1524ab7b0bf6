"""Hot counters: rows that clients in several sites update at once (read, add one, write back).

Each update is a version with a timestamp (its commit time) and the position it was written
at. A node sees a version once it holds that position (or, leaderless, once the version was
applied to it); a read returns the newest version it sees: last writer wins. Under a partition
two sides add one to the same value, and one of the two updates is silently lost.

Why the indexes: a run writes tens of thousands of versions and reads as many. On one lineage
versions come in LSN order, and a later LSN is a later commit, so the newest version a node
sees of a lineage is the last one at or below what it holds of it: one bisect per lineage.
A leaderless replica's versions are kept by arrival time, folded into one running best once
they are older than any read can ask about.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

# Reads ask about the present, at most a round trip into the past or future.
SETTLE_S = 5.0


@dataclass(frozen=True, slots=True)
class Version:
    """One written value of a hot counter."""

    ts: float
    node: str
    lineage: int
    lsn: float
    value: int


def _newer(a: Version | None, b: Version | None) -> Version | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if (a.ts, a.node) >= (b.ts, b.node) else b


class _Replica:
    """What one leaderless replica got of one counter: settled best, recent arrivals."""

    __slots__ = ("best", "recent")

    def __init__(self) -> None:
        self.best: Version | None = None
        self.recent: list[tuple[float, Version]] = []


class HotKeys:
    """Every version of every hot counter, and what a node sees of them."""

    def __init__(
        self, held: Callable[[str, int, float], float], lineages: Callable[[str], list[int]]
    ) -> None:
        # `held(node, lineage, t)`: the LSN of `lineage` that `node` holds at `t`;
        # `lineages(node)`: the lineages whose versions a node can see.
        self._held = held
        self._lineages = lineages
        self.versions: dict[int, list[Version]] = {}
        self._by_lineage: dict[tuple[int, int], tuple[list[float], list[Version]]] = {}
        self._applied: dict[tuple[str, int], _Replica] = {}

    def write(self, key: int, version: Version) -> None:
        self.versions.setdefault(key, []).append(version)
        lsns, rows = self._by_lineage.setdefault((key, version.lineage), ([], []))
        i = bisect_right(lsns, version.lsn)
        lsns.insert(i, version.lsn)
        rows.insert(i, version)

    def apply(self, node: str, key: int, version: Version, t: float) -> None:
        """A leaderless replica applied `version` at `t`."""
        replica = self._applied.setdefault((node, key), _Replica())
        replica.recent.append((t, version))

    def retract(self, key: int, version: Version) -> None:
        """A planned write that did not happen after all (the node failed before it)."""
        versions = self.versions.get(key, [])
        if version in versions:
            versions.remove(version)
            lsns, rows = self._by_lineage[(key, version.lineage)]
            i = rows.index(version)
            del lsns[i], rows[i]
        for (_, k), replica in self._applied.items():
            if k == key:
                replica.recent = [(t, v) for t, v in replica.recent if v is not version]

    def read(self, node: str, key: int, t: float) -> int:
        """The value `node` returns for `key` at `t`: the newest version it sees (0 if none)."""
        replica = self._applied.get((node, key))
        best: Version | None = None
        if replica is not None:
            if len(replica.recent) > 64:
                self._settle(replica, t - SETTLE_S)
            best = replica.best
            for at, v in replica.recent:
                if at <= t:
                    best = _newer(best, v)
        else:
            for lineage in self._lineages(node):
                index = self._by_lineage.get((key, lineage))
                if index is None:
                    continue
                lsns, rows = index
                i = bisect_right(lsns, self._held(node, lineage, t) + 0.5) - 1
                if i >= 0:
                    best = _newer(best, rows[i])
        return 0 if best is None else best.value

    @staticmethod
    def _settle(replica: _Replica, before: float) -> None:
        keep = []
        for at, v in replica.recent:
            if at <= before:
                replica.best = _newer(replica.best, v)
            else:
                keep.append((at, v))
        replica.recent = keep

    def final(self, survives: Callable[[Version], bool]) -> dict[int, int]:
        """Each counter's value once every surviving version has reached every node: the
        newest surviving version wins."""
        out: dict[int, int] = {}
        for key in sorted(self.versions):
            best = None
            for v in self.versions[key]:
                if survives(v):
                    best = _newer(best, v)
            out[key] = 0 if best is None else best.value
        return out
