"""Lineages (timelines, terms): which positions one lineage shares with another."""

from __future__ import annotations

from sim.history import History, Lineage


class LineageBook:
    """Every lineage of a run, numbered in order of creation like PostgreSQL timelines."""

    def __init__(self, history: History) -> None:
        self._history = history
        self._parent: dict[int, int] = {}
        self._fork: dict[int, float] = {}

    def root(self, t: float, node: str) -> int:
        return self._new(-1, 0.0, t, node)

    def fork(self, parent: int, at_lsn: float, t: float, node: str) -> int:
        """A new lineage branching from `parent` after position `at_lsn`."""
        return self._new(parent, at_lsn, t, node)

    def _new(self, parent: int, fork: float, t: float, node: str) -> int:
        lid = len(self._parent) + 1
        self._parent[lid] = parent
        self._fork[lid] = fork
        self._history.lineages.append(Lineage(lid, parent, round(fork), t, node))
        return lid

    def chain(self, lineage: int) -> list[int]:
        """`lineage` and its ancestors, newest first."""
        out = []
        while lineage != -1:
            out.append(lineage)
            lineage = self._parent[lineage]
        return out

    def parent(self, lineage: int) -> int:
        return self._parent[lineage]

    def fork_lsn(self, lineage: int) -> float:
        return self._fork[lineage]

    def shared_limit(self, lineage: int, descendant: int) -> float | None:
        """The highest position of `lineage` that `descendant` also holds (inf when they are
        the same lineage), or None when `lineage` is not an ancestor-or-self of it."""
        limit = float("inf")
        cur = descendant
        while cur != -1:
            if cur == lineage:
                return limit
            limit = min(limit, self._fork[cur])
            cur = self._parent[cur]
        return None

    def can_follow(self, lineage: int, lsn: float, upstream: int) -> bool:
        """Whether a node at (`lineage`, `lsn`) can stream from a primary on `upstream`
        without discarding anything (PostgreSQL follows a timeline switch only from a
        position at or before the fork)."""
        limit = self.shared_limit(lineage, upstream)
        return limit is not None and lsn <= limit + 0.5

    def common_position(self, lineage: int, upstream: int) -> float:
        """Where the history of `lineage` and that of `upstream` part: a rewind goes back here."""
        cur = lineage
        while cur != -1:
            if (limit := self.shared_limit(cur, upstream)) is not None:
                if cur == lineage:
                    return limit
                return min(limit, self._fork_towards(cur, lineage))
            cur = self._parent[cur]
        return 0.0

    def _fork_towards(self, ancestor: int, lineage: int) -> float:
        cur = lineage
        fork = self._fork[cur]
        while self._parent[cur] != ancestor:
            cur = self._parent[cur]
            fork = self._fork[cur]
        return fork
