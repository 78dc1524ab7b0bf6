"""The lineage tree of a run: which log positions survive, and when a lineage reached an LSN."""

from __future__ import annotations

from bisect import bisect_left

from sim.history import NO_LINEAGE, History, Lineage


class LineageTree:
    """The timelines of one run, the final chain through them, and each lineage's LSN clock.

    Why one object: survival, common points and LSN->time all need the same parent links and
    chain limits; `check_all` builds them once and every checker shares them.
    """

    __slots__ = ("_lsns", "_times", "chain", "limit", "rows")

    def __init__(self, history: History) -> None:
        self.rows: dict[int, Lineage] = {row.id: row for row in history.lineages}
        # limit[L]: the highest LSN of L the final state holds; only chain lineages have one.
        self.limit: dict[int, int] = {}
        chain: list[int] = []
        final = history.final
        if final is not None and final.lineage != NO_LINEAGE:
            cur, lim = final.lineage, final.lsn
            while cur not in self.limit:
                self.limit[cur] = lim
                chain.append(cur)
                row = self.rows.get(cur)
                if row is None or row.parent == NO_LINEAGE:
                    break
                cur, lim = row.parent, row.fork_lsn
        self.chain: tuple[int, ...] = tuple(reversed(chain))
        self._times: dict[int, list[float]] = {}
        self._lsns: dict[int, list[int]] = {}
        self._load_clock(history)

    def _load_clock(self, history: History) -> None:
        samples: dict[int, list[tuple[float, int]]] = {}
        for pos in history.positions:
            if pos.kind == "primary":
                samples.setdefault(pos.lineage, []).append((pos.t, pos.lsn))
        for lineage, rows in samples.items():
            rows.sort()
            times: list[float] = []
            lsns: list[int] = []
            top = rows[0][1]
            for t, lsn in rows:
                # A running maximum keeps the LSNs sorted for bisect even if a sample repeats an
                # older position; the LSN of a primary never goes back.
                top = max(top, lsn)
                times.append(t)
                lsns.append(top)
            self._times[lineage] = times
            self._lsns[lineage] = lsns

    def survives(self, lineage: int, lsn: int) -> bool:
        """Whether the final state holds position (`lineage`, `lsn`)."""
        lim = self.limit.get(lineage)
        return lim is not None and lsn <= lim

    def common_point(self, lineage: int) -> tuple[int, int] | None:
        """The newest position (A, p) that `lineage` shares with the final chain, or None when
        it shares nothing (no final state, or a tree the final chain is not part of)."""
        cur, child = lineage, None
        seen: set[int] = set()
        while cur not in self.limit:
            row = self.rows.get(cur)
            if row is None or row.parent == NO_LINEAGE or cur in seen:
                return None
            seen.add(cur)
            child, cur = row, row.parent
        if child is None:
            return cur, self.limit[cur]
        return cur, min(self.limit[cur], child.fork_lsn)

    def time_at(self, lineage: int, lsn: int) -> float:
        """The time `lineage` first reached `lsn`, linear between its primary samples and held
        at the first or last sample outside them."""
        lsns = self._lsns.get(lineage)
        if not lsns:
            # Why the start time: a lineage without samples never wrote at a measured rate, so
            # the only time known for any of its positions is when it began.
            row = self.rows.get(lineage)
            return row.t if row is not None else 0.0
        times = self._times[lineage]
        i = bisect_left(lsns, lsn)
        if i == 0:
            return times[0]
        if i == len(lsns):
            return times[-1]
        if lsns[i] == lsn:
            return times[i]
        lo_lsn, lo_t = lsns[i - 1], times[i - 1]
        return lo_t + (lsn - lo_lsn) * (times[i] - lo_t) / (lsns[i] - lo_lsn)

    def start_lsn(self, lineage: int) -> int:
        """Where `lineage` begins: its fork point, or the root's starting LSN."""
        return self.rows[lineage].fork_lsn
