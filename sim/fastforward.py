"""Incident windows and fast-forward: how a run with random failure profiles crosses a
simulated year in seconds.

A long run is a few minutes of incidents in months of quiet. The run is cut into incident
windows: one opens `lead` before each fault starts or ends and before each repaired host
finishes booting, and there the cluster is re-anchored (`Cluster.reanchor`): pending events
are dropped, random streams switch to the window's own, and every component restarts its
processes at a fresh phase with its steady state as of then. Because a window's start depends
only on the cluster's persistent state and on the window's number, the time between two
windows can be skipped whenever the cluster is quiet (nothing in progress, nothing changed
for `quiet`, every client served for the stability time): what the window after it records
is then exactly what a full simulation of the quiet time would record. Skipping is the
default; `full=True` simulates every heartbeat and probe of the quiet time instead, which
tests/property/test_fast_forward_*.py compare window by window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.cluster.replication import LOOKBACK_S

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.nemesis import Nemesis
    from sim.spec import Topology
    from sim.workload import ClientWorkload

# How often the driver looks at the cluster between two window starts (it looks, it never
# acts on the model, so the cadence changes no result).
CHECK_S = 1.0
# Random failure profiles over more than this need fast-forward to finish in reasonable time.
FULL_DETAIL_LIMIT_S = 7 * 86400.0


def unsupported(topology: Topology) -> str | None:
    """Why quiet time cannot be skipped on this topology (None when it can): the families
    and workloads whose quiet time changes what the cluster holds, or that cannot yet say
    when they are quiet, run every heartbeat of it."""
    if topology.failover.family == "none":
        return "leaderless and multi-primary clusters (failover family `none`)"
    if topology.standby_cluster is not None:
        return "a standby cluster in another region"
    if topology.workload.hot_keys is not None:
        return "hot counters (their updates in quiet time change what the cluster holds)"
    if topology.backups is not None:
        # Backup jobs, archiving and a delayed replica's apply delay run through the quiet
        # time and have no incident-window restart yet.
        return "a backup policy (backups and log archiving run all the time)"
    return None


def quiet(c: Cluster, workload: ClientWorkload, nemesis: Nemesis) -> bool:
    """Whether nothing is under way in the cluster: no component has a change in progress,
    no host is frozen or half-started, no history row was written for the scenario's
    `windows.quiet`, and every client has done well for the stability time."""
    if c.env.now - c.last_change < c.scenario.windows.quiet:
        return False
    if c.frozen and any(c.frozen.values()):
        return False
    for node in c.nodes.values():
        rejoining = node.rejoining is not None  # on the agenda: it ends when it ends
        if node.host_up and not rejoining and (node.process != "running" or node.busy):
            return False
    settled = getattr(c.replication, "settled", None)
    return (
        settled is not None
        and settled()
        and c.controller.settled()
        and c.router.settled()
        and workload.settled()
        and nemesis.settled()
    )


def skippable(driver: WindowDriver) -> bool:
    """Whether the time until the next window may be skipped: quiet, and the window open now
    has nothing left to come (no fault starting or ending, and nothing on the cluster's
    agenda, whose own window is open already: that window must see it happen)."""
    c = driver.c
    if any(driver.opened_for_agenda(t) for t in c.agenda()):
        return False
    return driver.nemesis.due(driver.opened_for) and quiet(c, driver.workload, driver.nemesis)


class WindowDriver:
    """Runs the observation window of a scenario with random failure profiles."""

    def __init__(
        self, c: Cluster, workload: ClientWorkload, nemesis: Nemesis, full: bool = False
    ) -> None:
        self.c = c
        self.workload = workload
        self.nemesis = nemesis
        self.full = full
        self.lead = c.scenario.windows.lead
        self._faults = nemesis.transitions()
        lag = getattr(c.replication, "lag_s", None)
        self._lag: Callable[[float], float] = lag if lag is not None else lambda t: 0.0
        # The fault transitions and agenda times whose window has opened: once open, a lag
        # recomputed at the window's start may move an anchor by a rounding error, which
        # must not open a second window for the same change.
        self._served: set[tuple[float, bool]] = set()
        self._served_agenda: set[float] = set()
        # (start, end) of each skipped stretch, and when each window opened.
        self.skipped: list[tuple[float, float]] = []
        self.opened: list[float] = []

    def anchor(self, t: float, start: bool) -> float:
        """Where the window for a fault starting (or ending) at `t` opens: `lead` before it,
        and before a start also as far back as the standbys will trail the primary then, so
        that the writes an asynchronous failover loses are in the window (a full simulation
        would have them)."""
        return t - self.lead - (self._lag(t) if start else 0.0)

    def opened_for(self, t: float, start: bool) -> bool:
        """Whether the window of a fault transition has opened (it may not have happened)."""
        return (t, start) in self._served or self.anchor(t, start) <= self.c.env.now

    def opened_for_agenda(self, t: float) -> bool:
        return t in self._served_agenda or t - self.lead <= self.c.env.now

    def _next_anchor(self, until: float) -> float:
        """The next window start after now: before the next fault transition, the next
        change on the cluster's agenda, or the end of the observation window."""
        now = self.c.env.now
        best = until - self.lead
        for t in self.c.agenda():
            if t not in self._served_agenda and now < t - self.lead < best:
                best = t - self.lead
        for t, start in self._faults:
            # No standby trails by more than the stream's look-back: later faults cannot
            # open a window before the best one found.
            if t - self.lead - LOOKBACK_S >= best:
                break
            if t <= now or (t, start) in self._served:
                continue
            if now < (at := self.anchor(t, start)) < best:
                best = at
        return max(best, now)

    def run(self, until: float) -> None:
        """Simulate up to `until`, opening windows and skipping quiet time between them."""
        env = self.c.env
        while env.now < until:
            anchor = self._next_anchor(until)
            if anchor <= env.now:
                break
            step = min(anchor, env.now + CHECK_S)
            env.run(until=step)
            if step == anchor:
                # simpy reaches now + (anchor - now), which may miss anchor by a rounding
                # error; a skip lands on it exactly, and both must open the same window.
                env._now = anchor
            if not self.full and env.now < anchor and skippable(self):
                # A boot that started meanwhile may have brought the next window forward.
                anchor = self._next_anchor(until)
                self._skip(anchor)
                self._open()
            elif env.now >= anchor and quiet(self.c, self.workload, self.nemesis):
                self._open()
        if env.now < until:
            env.run(until=until)

    def _skip(self, to: float) -> None:
        env = self.c.env
        self.workload.skip(to)
        self.skipped.append((env.now, to))
        env._queue.clear()
        env._now = to

    def _open(self) -> None:
        now = self.c.env.now
        self._served |= {
            (t, start) for t, start in self._faults if t > now and self.anchor(t, start) <= now
        }
        self._served_agenda |= {t for t in self.c.agenda() if now < t <= now + self.lead}
        self.opened.append(now)
        self.c.reanchor()
