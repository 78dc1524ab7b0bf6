"""One run: build the model from (topology, scenario, seed), run it, record its history, and
have the checkers compute the metrics. A pure function of its three inputs."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sim.checkers import check_all, failover_time_s
from sim.cluster.build import build
from sim.cluster.core import Cluster
from sim.cost import monthly_cost
from sim.fastforward import WindowDriver
from sim.faults import check_targets
from sim.history import FinalRead, FinalValue, History, Position
from sim.spec import Scenario, Topology
from sim.spec.failover import Lease
from sim.spec.replication import Leaderless, MultiPrimary


def hasim_version() -> str:
    try:
        return version("hasim")
    except PackageNotFoundError:
        return "unknown"


def spec_digest(spec: Topology | Scenario) -> str:
    """SHA-256 of a model's canonical JSON: two files that mean the same have one digest.
    Fields left at their defaults are left out, so a new optional field does not change the
    digest of every existing file (stored results keyed by it stay valid)."""
    return hashlib.sha256(spec.model_dump_json(exclude_defaults=True).encode()).hexdigest()


@dataclass
class RunResult:
    """What one run produced: its inputs' identity, its history and its metrics."""

    topology: Topology
    scenario: Scenario
    seed: int
    history: History
    metrics: dict[str, Any]
    events: int
    warnings: list[str] = field(default_factory=list)

    def provenance(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "hasim_version": hasim_version(),
            "topology": self.topology.name,
            "scenario": self.scenario.name,
            "topology_digest": spec_digest(self.topology),
            "scenario_digest": spec_digest(self.scenario),
            "history_digest": self.history.digest(),
        }


def _final_read(c: Cluster) -> FinalRead | None:
    """What the cluster holds at the end: its authoritative primary (the key holder when
    there is a store), else the newest writable node, else the most advanced node."""
    t = c.env.now
    nodes = [c.nodes[n] for n in sorted(c.nodes, key=c.order)]
    chosen = None
    holder = c.store.get("leader") if c.store is not None else None
    if holder in c.nodes and c.nodes[holder].writable:
        chosen = c.nodes[holder]
    if chosen is None:
        writable = [n for n in nodes if n.writable]
        if writable:
            chosen = max(writable, key=lambda n: (n.lineage, n.position(t)))
    if chosen is None:
        alive = [n for n in nodes if n.host_up]
        if not alive:
            return None
        chosen = max(alive, key=lambda n: (n.lineage, n.position(t)))
    return FinalRead(t, chosen.name, chosen.lineage, round(chosen.position(t)))


def _held(c: Cluster) -> list[FinalRead]:
    """Where every node is its own primary (multi-primary, leaderless), the final state holds
    every node's log, as far as any node holds it (its disk survives a crash)."""
    t = c.env.now
    rows = []
    for name in sorted(c.nodes, key=c.order):
        lineage = c.nodes[name].lineage
        holders = [c.nodes[n] for n in c.nodes]
        if hasattr(c.replication, "held"):
            held = max(c.replication.held(h.name, lineage, t) for h in holders)
        else:
            held = c.nodes[name].position(t)
        rows.append(FinalRead(t, name, lineage, round(held)))
    return rows


def _final_values(c: Cluster, history: History) -> list[FinalValue]:
    """Each hot counter once every surviving version has spread: the newest one wins."""
    limits: dict[int, float] = {}
    for row in [history.final, *history.held]:
        if row is None:
            continue
        lineage, lim = row.lineage, float(row.lsn)
        # The row's chain: its lineage up to `lim`, each ancestor up to the fork.
        while lineage != -1:
            limits[lineage] = max(limits.get(lineage, -1.0), lim)
            parent = c.lineages.parent(lineage)
            lim = c.lineages.fork_lsn(lineage)
            lineage = parent
    values = c.hotkeys.final(lambda v: v.lsn <= limits.get(v.lineage, -1.0) + 0.5)
    return [FinalValue(key, value) for key, value in values.items()]


def _position_samples(c: Cluster) -> None:
    t_end = c.env.now
    for node, log in c.logs:
        for t, lsn in log.samples(t_end):
            c.history.positions.append(Position(t, node, log.lineage, round(lsn), "primary"))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Why: a run allocates tens of thousands of rows and no reference cycles that must die
    early; the cyclic collector would scan them again and again (a quarter of the run time
    and half of the checkers'). It is switched back on, and catches up, afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def simulate(
    topology: Topology, scenario: Scenario, seed: int, full: bool = False
) -> tuple[History, int]:
    """Run the model and return its history and the number of simpy events it took.
    `full`: simulate the quiet time between incident windows too (no fast-forward)."""
    with _collector_paused():
        return _simulate(topology, scenario, seed, full)


def _simulate(
    topology: Topology, scenario: Scenario, seed: int, full: bool = False
) -> tuple[History, int]:
    c, workload, nemesis = build(topology, scenario, seed)
    windows: WindowDriver | None = None
    if c.scenario.recurring:
        windows = WindowDriver(c, workload, nemesis, full)
        windows.run(scenario.duration)
    else:
        c.env.run(until=scenario.duration)
    nemesis.heal()
    t_end = scenario.duration + scenario.settle
    c.env.run(until=t_end)
    workload.finish()
    every_primary = isinstance(topology.replication, MultiPrimary | Leaderless)
    if every_primary:
        held = _held(c)
        c.history.final, c.history.held = held[0], held[1:]
    else:
        c.history.final = _final_read(c)
    c.history.final_values = _final_values(c, c.history)
    _position_samples(c)
    proxies = c.router.names()
    vias = {cl.host: cl.via for cl in topology.workload.clients}
    sites: dict[str, list[str]] = {}
    site_clients: dict[str, list[str]] = {}
    site_regions: dict[str, str] = {}
    for cl in topology.workload.clients:
        site = c.net.zone_of[cl.host]
        site_clients.setdefault(site, []).append(cl.host)
        site_regions[site] = c.net.region_of[cl.host]
        router = vias[cl.host] if vias[cl.host] is not None else (proxies[0] if proxies else "")
        sites.setdefault(site, [])
        if router and router not in sites[site]:
            sites[site].append(router)
    c.history.meta = {
        "seed": seed,
        "topology": topology.name,
        "scenario": scenario.name,
        "family": topology.failover.family,
        "t_observe_end": scenario.duration,
        "t_end": t_end,
        "stable_s": scenario.checks.stable,
        "slow_s": scenario.checks.slow,
        "tx_bytes": topology.workload.tx_bytes,
        "site_routers": sites,
        "site_clients": site_clients,
        "site_regions": site_regions,
        "write_probes_per_s": {
            site: sum(
                cl.writes for cl in topology.workload.clients if c.net.zone_of[cl.host] == site
            )
            for site in sites
        },
        "store": isinstance(topology.failover, Lease),
        # Every node takes writes by design: no split brain, conflicts are lost updates.
        "multi_primary": every_primary,
        "stale_bound_s": scenario.checks.stale_bound,
    }
    if windows is not None:
        # Where incident windows opened, and the quiet stretches skipped between them.
        c.history.meta["windows"] = windows.opened
        c.history.meta["skipped"] = windows.skipped
    stage = [i for i, f in enumerate(c.scenario.faults) if not f.incident]
    if stage:
        # Only when some fault sets the stage, so that other runs keep their digests.
        c.history.meta["stage_faults"] = stage
    c.history.sort()
    return c.history, int(next(c.env._eid))  # simpy's count of scheduled events


def history_until(topology: Topology, scenario: Scenario, seed: int, until: float) -> History:
    """The history of the first `until` seconds of a run, exactly as the whole run makes it,
    without the heal, the settle period or the final read: enough for the metrics of the
    incident's first moments (a failover time), at a fraction of the cost."""
    check_targets(topology, scenario, None)
    with _collector_paused():
        c, _, _ = build(topology, scenario, seed)
        c.env.run(until=min(until, scenario.duration))
    return c.history


def failover_time(topology: Topology, scenario: Scenario, seed: int) -> float | None:
    """One run's `failover_time_s`, watching only until the failover band in the topology's
    notes has passed (the whole window without a band): enough to tell a seed inside the
    band from one outside it."""
    band = topology.notes.failover if topology.notes is not None else None
    until = scenario.duration
    if band is not None:
        until = min(f.at for f in scenario.faults) + band.high + 1.0
    return failover_time_s(history_until(topology, scenario, seed, until))


def run(topology: Topology, scenario: Scenario, seed: int, full: bool = False) -> RunResult:
    """One run: history and metrics. `InputError` if the scenario names what the topology
    lacks (loaders that know the scenario's file check first, for a message with its line).
    `full`: no fast-forward of quiet time (the same windows, every heartbeat between them)."""
    check_targets(topology, scenario, None)
    with _collector_paused():
        history, events = _simulate(topology, scenario, seed, full)
        # The bill is the topology's, the same for every seed: beside the checkers' metrics.
        metrics = {**check_all(history), **monthly_cost(topology)}
    return RunResult(topology, scenario, seed, history, metrics, events, topology.warnings)
