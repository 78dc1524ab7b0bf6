"""Steady-state availability of continuous-time Markov chains: the analytic cross-check of the
simulator for topologies a chain can describe (exponential failures and repairs, and
failover, election and restart times taken at their means).

Why means suffice: the long-run share of time in each state of a semi-Markov process depends
on the mean sojourn times only; the shape of a failover's distribution matters only through
the rare overlaps of a second failure with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import lstsq


@dataclass
class Chain:
    """A chain given by its transitions; `up` names the states in which writes succeed."""

    rates: dict[tuple[str, str], float] = field(default_factory=dict)
    up: set[str] = field(default_factory=set)

    def add(self, a: str, b: str, rate: float) -> None:
        if rate > 0.0 and a != b:
            self.rates[(a, b)] = self.rates.get((a, b), 0.0) + rate

    def states(self) -> list[str]:
        return sorted({s for pair in self.rates for s in pair})

    def steady_state(self) -> dict[str, float]:
        """pi with pi Q = 0 and sum(pi) = 1."""
        names = self.states()
        index = {s: i for i, s in enumerate(names)}
        q = np.zeros((len(names), len(names)))
        for (a, b), r in self.rates.items():
            q[index[a], index[b]] += r
            q[index[a], index[a]] -= r
        system = np.vstack([q.T, np.ones(len(names))])
        rhs = np.zeros(len(names) + 1)
        rhs[-1] = 1.0
        pi = lstsq(system, rhs)[0]
        return {s: float(pi[index[s]]) for s in names}

    def availability(self) -> float:
        pi = self.steady_state()
        return sum(p for s, p in pi.items() if s in self.up)


def single_node(mtbf_s: float, mttr_s: float, restart_s: float) -> Chain:
    """One node: it fails, is repaired, then boots and starts (`restart_s`) before it serves."""
    c = Chain(up={"up"})
    c.add("up", "down", 1 / mtbf_s)
    c.add("down", "restarting", 1 / mttr_s)
    c.add("restarting", "up", 1 / restart_s)
    c.add("restarting", "down", 1 / mtbf_s)
    return c


def primary_standby(mtbf_s: float, mttr_s: float, failover_s: float, restart_s: float) -> Chain:
    """A primary and a standby (1+1) with automatic failover: a failed primary is replaced
    after `failover_s`; a failed node rejoins as a standby once repaired. With both down, a
    standby that was itself down while the primary kept writing is too far behind to take
    over (a candidate lag limit): service waits for the last primary's repair, then its
    restart (`restart_s`); if both were current (the standby failed during the failover),
    whichever is repaired first restarts."""
    lam, mu = 1 / mtbf_s, 1 / mttr_s
    c = Chain(up={"both", "one"})
    c.add("both", "failover", lam)  # the primary fails
    c.add("both", "one", lam)  # the standby fails
    c.add("failover", "one", 1 / failover_s)
    c.add("failover", "none-current", lam)  # the standby fails before it has taken over
    c.add("one", "both", mu)
    c.add("one", "none-behind", lam)
    c.add("none-current", "restarting", 2 * mu)
    c.add("none-behind", "restarting", mu)
    c.add("restarting", "one", 1 / restart_s)
    c.add("restarting", "none-current", lam)
    return c


def majority_quorum(
    n: int, mtbf_s: float, mttr_s: float, election_s: float, restart_s: float
) -> Chain:
    """n voters that serve while a majority is up and a leader is elected: a leader's failure
    costs an election (`election_s`) when a majority is left; with fewer up the cluster is
    down until a repaired node has restarted and a leader is elected (`restart_s`)."""
    lam, mu = 1 / mtbf_s, 1 / mttr_s
    majority = n // 2 + 1
    c = Chain()

    def state(kind: str, down: int) -> str:
        return f"{kind}{down}"

    for down in range(n + 1):
        alive = n - down
        if alive < majority:
            lost = state("lost", down)
            if alive:
                c.add(lost, state("lost", down + 1), alive * lam)
            if down:
                # A repair: still short of a majority, or the cluster restarts and elects.
                regained = alive + 1 >= majority
                c.add(lost, state("restarting" if regained else "lost", down - 1), down * mu)
            continue
        c.up.add(state("ok", down))
        after = alive - 1 >= majority
        for kind in ("ok", "electing", "restarting"):
            here = state(kind, down)
            if kind == "ok":
                # The leader fails (rate lam) or one of the other `alive - 1`.
                c.add(here, state("electing" if after else "lost", down + 1), lam)
                c.add(here, state("ok" if after else "lost", down + 1), (alive - 1) * lam)
            else:
                c.add(here, state(kind if after else "lost", down + 1), alive * lam)
                done = election_s if kind == "electing" else restart_s
                c.add(here, state("ok", down), 1 / done)
            if down:
                c.add(here, state(kind, down - 1), down * mu)
    return c
