"""The lineage tree of a run: which log positions survive, and when a lineage reached an LSN."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from sim.history import NO_LINEAGE, FinalRead, History, Lineage

# (lo_lsn, hi_lsn, lo_t, hi_t): one straight stretch of a lineage's LSN clock.
ClockSpan = tuple[int, int, float, float]


class LineageTree:
    """The timelines of one run, what the final state holds of each, and each lineage's LSN
    clock.

    The final state is `History.final` plus the further rows of `History.held` (the other
    primaries of a multi-primary cluster, the replicas of a leaderless one): each row holds its
    own lineage up to its LSN and every ancestor up to the fork its chain passes through.

    Why one object: survival, common points and LSN->time all need the same parent links and
    limits; `check_all` builds them once and every checker shares them.
    """

    __slots__ = ("_lsns", "_times", "chain", "limit", "rows")

    def __init__(self, history: History) -> None:
        self.rows: dict[int, Lineage] = {row.id: row for row in history.lineages}
        # limit[L]: the highest LSN of L that some final row holds (the max over the rows).
        self.limit: dict[int, int] = {}
        # The chain is `final`'s, for the common-point logic of a single primary; with no
        # `final`, the first held row stands in for it.
        first = history.final if history.final is not None else next(iter(history.held), None)
        chain = self._hold(first) if first is not None else []
        for row in history.held:
            if row is not first:
                self._hold(row)
        self.chain: tuple[int, ...] = tuple(reversed(chain))
        self._times: dict[int, list[float]] = {}
        self._lsns: dict[int, list[int]] = {}
        self._load_clock(history)

    def _hold(self, final: FinalRead) -> list[int]:
        """Raise the limits by what `final` holds; its chain from its own lineage up, as far as
        this row is the first to reach each lineage (all of it for the first row)."""
        chain: list[int] = []
        if final.lineage == NO_LINEAGE:
            return chain
        cur, lim = final.lineage, final.lsn
        while True:
            seen = self.limit.get(cur)
            if seen is not None:
                # The limits above `cur` depend only on the forks from `cur` up, which an
                # earlier row has already walked: nothing above can rise.
                if lim > seen:
                    self.limit[cur] = lim
                return chain
            self.limit[cur] = lim
            chain.append(cur)
            row = self.rows.get(cur)
            if row is None or row.parent == NO_LINEAGE:
                return chain
            cur, lim = row.parent, row.fork_lsn

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

    def left_behind(self) -> dict[int, float]:
        """For each lineage of the final chain but the last, when the chain moved on from it:
        the start of its successor (the promotion that forked below whatever it held past the
        fork)."""
        return {
            lineage: self.rows[nxt].t
            for lineage, nxt in zip(self.chain, self.chain[1:], strict=False)
            if nxt in self.rows
        }

    def survives(self, lineage: int, lsn: int) -> bool:
        """Whether the final state holds position (`lineage`, `lsn`)."""
        lim = self.limit.get(lineage)
        return lim is not None and lsn <= lim

    def common_point(self, lineage: int) -> tuple[int, int] | None:
        """The newest position (A, p) that `lineage` shares with the final state, or None when
        it shares nothing (no final state, or a tree the final state holds nothing of).

        Why the merged limits, not the chain: a position another final row holds survived as
        surely as one on the chain; with a single final row they are the same thing."""
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

    def time_past(self, lineage: int, lsn: int) -> float:
        """The time `lineage` moved past `lsn` (from then on, a copy at `lsn` misses writes);
        inf when it never did: it stood at or below `lsn` to its last sample."""
        lsns = self._lsns.get(lineage)
        if not lsns:
            return float("inf")
        j = bisect_right(lsns, lsn) - 1
        if j == len(lsns) - 1:
            return float("inf")
        times = self._times[lineage]
        if j < 0:
            return times[0]
        lo_lsn, lo_t = lsns[j], times[j]
        return lo_t + (lsn - lo_lsn) * (times[j + 1] - lo_t) / (lsns[j + 1] - lo_lsn)

    def has_clock(self, lineage: int) -> bool:
        """Whether `lineage` has primary samples, so that `time_at` is measured, not assumed."""
        return lineage in self._lsns

    def clock_span(self, lineage: int, lsn: int) -> ClockSpan | None:
        """The stretch of `lineage`'s clock strictly inside which `lsn` lies, as (lo_lsn,
        hi_lsn, lo_t, hi_t): for every x with lo_lsn < x < hi_lsn, `time_at(lineage, x)` is
        lo_t + (x - lo_lsn) * (hi_t - lo_t) / (hi_lsn - lo_lsn). None when `lsn` is at a
        sample, outside the samples, or the lineage has no clock.

        Why: a checker timing thousands of positions on a few stretches looks each stretch up
        once and interpolates inline, without a call per position."""
        lsns = self._lsns.get(lineage)
        if not lsns:
            return None
        i = bisect_left(lsns, lsn)
        if i == 0 or i == len(lsns) or lsns[i] == lsn:
            return None
        times = self._times[lineage]
        return lsns[i - 1], lsns[i], times[i - 1], times[i]

    def start_lsn(self, lineage: int) -> int:
        """Where `lineage` begins: its fork point, or the root's starting LSN."""
        return self.rows[lineage].fork_lsn
