"""Achieved RTO per client site: from the fault to the first good op that stays good."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Literal

from sim.checkers.incident import fault_start, incident_starts
from sim.checkers.lineage import LineageTree
from sim.history import History

INF = float("inf")

OpKind = Literal["write", "read"]
# (t_invoke, t_complete, good, t_failed) for one op; tuples because a site holds thousands of
# them. t_failed is when a bad op's failure became a fact: its completion, except for an op
# acknowledged in time at a position the final state lost, which failed when the history moved
# on without it (the promotion that forked below it); a good op's t_failed is its completion.
Attempt = tuple[float, float, bool, float]


def site_attempts(
    history: History, tree: LineageTree, t_from: float = -INF
) -> dict[str, dict[str, list[Attempt]]]:
    """The probe ops (writes and reads) invoked before the horizon and completed at or after
    `t_from`, by kind then site, each marked good when acknowledged within `slow_s` at a
    position the final state holds. A site with ops of a kind is listed under it even if none
    completed after `t_from`.

    Why both kinds at once: this is a pass over every op, the costliest step of `check_all`;
    and why `t_from`: an RTO never looks at an op completed before the fault.
    """
    t_end = float(history.meta["t_observe_end"])
    slow_s = float(history.meta["slow_s"])
    get_limit = tree.limit.get
    left_at = tree.left_behind().get
    kinds: dict[str, dict[str, list[Attempt]]] = {"write": {}, "read": {}}
    for o in history.ops:
        ti = o.t_invoke
        if ti >= t_end:
            continue
        sites = kinds.get(o.f)
        if sites is None:
            # A hot-counter increment is no probe: it counts toward lost updates instead.
            continue
        site = sites.get(o.site)
        if site is None:
            site = sites[o.site] = []
        tc = o.t_complete
        if tc < t_from:
            continue
        if o.outcome == "ok" and tc - ti <= slow_s:
            lim = get_limit(o.lineage)
            if lim is not None and o.lsn <= lim:
                site.append((ti, tc, True, tc))
            else:
                # Why not its ack: a write acknowledged in the quiet before a crash and lost
                # to the failover is that crash's, not the incident before it.
                left = left_at(o.lineage)
                site.append((ti, tc, False, tc if left is None else max(tc, left)))
        else:
            site.append((ti, tc, False, tc))
    return kinds


class Recoveries:
    """One site's ops, indexed to tell when it recovered: the first good completion at or
    after a time that is followed by a `stable_s` window, ending by `t_end`, in which ops were
    invoked and all were good. The RTO, every incident's, and the availability's down
    intervals all end by this one rule."""

    def __init__(self, attempts: Sequence[Attempt], stable_s: float, t_end: float) -> None:
        self.by_invoke = sorted(attempts)
        self.invokes = [a[0] for a in self.by_invoke]
        # bad_before[i]: bad ops among the first i by invocation, so a window's bad count is
        # a difference and each candidate costs two bisects.
        self.bad_before = list(accumulate((not a[2] for a in self.by_invoke), initial=0))
        self.goods = sorted(a[1] for a in self.by_invoke if a[2])
        self.stable_s = stable_s
        self.t_end = t_end

    def at_or_after(self, t: float) -> float | None:
        """When the site recovered from a bad op at `t`; None if it had not by `t_end`."""
        invokes, bad_before = self.invokes, self.bad_before
        for tc in self.goods[bisect_left(self.goods, t) :]:
            until = tc + self.stable_s
            if until > self.t_end:
                return None
            i, j = bisect_right(invokes, tc), bisect_right(invokes, until)
            if j > i and bad_before[j] == bad_before[i]:
                return tc
        return None


def site_rto_s(attempts: Sequence[Attempt], t_fault: float, stable_s: float, t_end: float) -> float:
    """One site's RTO: 0 if no op completing after `t_fault` was bad; else from `t_fault` to the
    first good completion after the first bad invocation that is followed by a `stable_s`
    window, ending by `t_end`, in which ops were invoked and all were good; inf if none is."""
    return worst_incident_rto_s(attempts, [t_fault], stable_s, t_end)


def worst_incident_rto_s(
    attempts: Sequence[Attempt], starts: Sequence[float], stable_s: float, t_end: float
) -> float:
    """One site's worst RTO over several incidents (random failure profiles): each incident
    is judged as `site_rto_s` judges the only one, from its own fault, on the bad ops that
    completed after it and failed while it was the latest (ended by the next incident's
    start; its recovery may come later). A request in flight when the next fault strikes
    fails because of that fault, not of the incident before it, which may have recovered
    long ago; so does a write acknowledged before it and lost to its failover. 0 without any
    incident."""
    recoveries = Recoveries(attempts, stable_s, t_end)
    bad = [(a[0], a[1], a[3]) for a in recoveries.by_invoke if not a[2]]
    bad_invokes = [b[0] for b in bad]
    longest = max((tc - ti for ti, tc, _ in bad), default=0.0)
    worst = 0.0
    for i, t_fault in enumerate(starts):
        t_next = starts[i + 1] if i + 1 < len(starts) else INF
        t_bad = None
        for ti, tc, tf in bad[bisect_left(bad_invokes, t_fault - longest) :]:
            if ti >= t_next:
                break
            if t_fault < tc and tf <= t_next:
                t_bad = max(t_fault, ti)
                break
        if t_bad is None:
            continue
        recovered = recoveries.at_or_after(t_bad)
        if recovered is None:
            return INF
        worst = max(worst, recovered - t_fault)
    return worst


def dark_sites(history: History) -> set[str]:
    """The client sites whose every client host was powered off after the fault (a lost zone
    or region takes its application servers with it): the application there was down too,
    so its probes say nothing about the database, and nor do those of its hosts that boot
    again later."""
    t_fault = fault_start(history)
    if t_fault is None:
        return set()
    down = {e.node for e in history.events if e.name == "host_down" and e.t >= t_fault}
    clients: dict[str, list[str]] = history.meta.get("site_clients", {})
    return {site for site, hosts in clients.items() if hosts and all(h in down for h in hosts)}


def fault_attempts(history: History, tree: LineageTree) -> dict[str, dict[str, list[Attempt]]]:
    """`site_attempts` from the fault on (only the site names without a fault): what the RTO
    and the downtime look at."""
    t_fault = fault_start(history)
    return site_attempts(history, tree, INF if t_fault is None else t_fault)


def site_rtos(
    history: History,
    tree: LineageTree | None = None,
    kinds: dict[str, dict[str, list[Attempt]]] | None = None,
) -> dict[str, dict[str, float]]:
    """The RTO of each site, by op kind ("write", "read") then site name; sites that issued no
    op of a kind, and dark sites, are absent from it; every RTO is 0 without a fault, and
    the worst incident's when the run holds several.
    `kinds`: `fault_attempts` when the caller has them already."""
    if tree is None:
        tree = LineageTree(history)
    kinds = {f: dict(sites) for f, sites in (kinds or fault_attempts(history, tree)).items()}
    for site in dark_sites(history):
        for sites in kinds.values():
            sites.pop(site, None)
    stable_s = float(history.meta["stable_s"])
    t_end = float(history.meta["t_observe_end"])
    starts = incident_starts(history)
    return {
        f: {s: worst_incident_rto_s(sites[s], starts, stable_s, t_end) for s in sorted(sites)}
        for f, sites in kinds.items()
    }


def rto_by_site(
    history: History, f: OpKind = "write", tree: LineageTree | None = None
) -> dict[str, float]:
    """The RTO of each site that issued ops of kind `f`, by site name; all 0 without a fault."""
    return site_rtos(history, tree)[f]


def worst_site(by_site: dict[str, float], has_fault: bool) -> tuple[str | None, float]:
    """The site with the worst RTO (the first by name among equals) and that RTO; with a fault
    but no site, no site and inf (nothing showed the service up), without a fault 0."""
    if not by_site:
        return None, INF if has_fault else 0.0
    site = min(sorted(by_site), key=lambda s: -by_site[s])
    return site, by_site[site]


def rto_by_region(by_site: dict[str, float], site_regions: dict[str, str]) -> dict[str, float]:
    """Each region's RTO: the worst of its client sites; a region without a witnessing site
    (none, or all dark) is absent."""
    out: dict[str, float] = {}
    for site, rto in by_site.items():
        region = site_regions.get(site, site)
        out[region] = max(out.get(region, 0.0), rto)
    return {r: out[r] for r in sorted(out)}
