"""What a fault does to the cluster: which hosts its targets name, which packets a partition
drops; and the check that a scenario's targets exist in a topology (with the scenario file's
line in the message)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.errors import InputError
from sim.failure_profiles import components, named_hosts
from sim.fastforward import FULL_DETAIL_LIMIT_S, unsupported
from sim.spec import Scenario, Topology
from sim.spec.failover import Lease
from sim.spec.fault import (
    BACKUP_SELECTORS,
    NODE_SELECTORS,
    SELECTORS,
    STORE_SELECTORS,
    Corrupt,
    CrashDb,
    CrashDcs,
    Fault,
    Isolate,
    Partition,
    targets_of,
)
from sim.spec.replication import Leaderless, MultiPrimary
from sim.units import format_duration
from sim.yamlio import LineMap, dotted

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.rng import Stream

Pairs = list[tuple[str, str]]


def check_targets(topology: Topology, scenario: Scenario, lines: LineMap | None) -> None:
    """Every host, zone or region a scenario names exists in the topology, and every
    selector makes sense for it; `InputError` pointing at the scenario's line otherwise."""
    hosts = topology.hosts()
    sites = {"zone": {z.name for r in topology.regions for z in r.zones}}
    sites["region"] = {r.name for r in topology.regions}
    file = lines.file if lines else f"scenario {scenario.name}"

    def fail(loc: tuple[str | int, ...], problem: str, fix: str) -> None:
        line = lines.line(loc) if lines else None
        raise InputError(problem, file=file, line=line, field=dotted(loc), fix=fix)

    if "backups" in scenario.requires and topology.backups is None:
        fail(
            ("requires",),
            f"scenario {scenario.name} exercises a restore from backups; topology "
            f"{topology.name} has no `backups:`",
            "pick a topology with a backup policy, or add one to it",
        )
    for i, profile in enumerate(scenario.failures):
        try:
            components(topology, profile)
        except ValueError as exc:
            problem, _, fix = str(exc).partition(": ")
            fail(("failures", i, "targets"), problem, fix)
    for i, window in enumerate(scenario.maintenance):
        try:
            named_hosts(topology, window.targets)
        except ValueError as exc:
            problem, _, fix = str(exc).partition(": ")
            fail(("maintenance", i, "targets"), problem, fix)
    reason = unsupported(topology)
    if scenario.recurring and scenario.duration > FULL_DETAIL_LIMIT_S and reason is not None:
        fail(
            ("duration",),
            f"{format_duration(scenario.duration)} of random failures needs fast-forward, "
            f"which {topology.name} cannot use: {reason}",
            f"shorten `duration` to {format_duration(FULL_DETAIL_LIMIT_S)} or less (every "
            "heartbeat is then simulated), or pick a topology whose quiet time can be skipped",
        )
    every_primary = isinstance(topology.replication, MultiPrimary | Leaderless)
    for i, fault in enumerate(scenario.faults):
        if isinstance(fault, Corrupt) and every_primary:
            fail(
                ("faults", i, "kind"),
                "logical corruption is modelled on single-primary clusters; topology "
                f"{topology.name} takes writes on every node",
                "use a single-primary topology",
            )
        for sub, target in targets_of(fault):
            loc = ("faults", i, *sub)
            kind, _, rest = target.partition(":")
            if rest and kind in ("zone", "region"):
                if rest not in sites[kind]:
                    fail(
                        loc,
                        f"no {kind} named '{rest}' in topology {topology.name}",
                        f"use one of: {', '.join(sorted(sites[kind]))}",
                    )
                continue
            if rest and kind in ("zone-of", "region-of"):
                target = rest
            # In a partition group the store is one side among others, and where there is no
            # store that side is empty; a fault aimed at the store itself needs one.
            in_group = sub[0] == "groups"
            if (
                target in STORE_SELECTORS
                and not in_group
                and not isinstance(topology.failover, Lease)
            ):
                fail(
                    loc,
                    f"'{target}' needs a consensus store; topology {topology.name} has none",
                    "target hosts by name or use a node selector such as primary or replica",
                )
            elif target in BACKUP_SELECTORS and topology.backups is None:
                fail(
                    loc,
                    f"'{target}' needs a backup store; topology {topology.name} has no `backups:`",
                    "pick a topology with a backup policy, or target hosts by name",
                )
            elif target in SELECTORS:
                continue
            elif target not in hosts:
                fail(
                    loc,
                    f"no host named '{target}' in topology {topology.name}",
                    f"name one of: {', '.join(hosts)}, or a selector "
                    f"({', '.join(SELECTORS)}, zone:NAME, region:NAME, zone-of:SELECTOR)",
                )
            elif isinstance(fault, CrashDb) and hosts[target][0].kind != "db":
                fail(loc, f"'{target}' is not a db host", "crash-db targets database hosts")
            elif isinstance(fault, CrashDcs) and hosts[target][0].kind != "dcs":
                fail(loc, f"'{target}' is not a dcs host", "crash-dcs targets store members")


def pick(nodes: list[str], n: int, rng: Stream) -> list[str]:
    pool, picked = list(nodes), []
    while pool and len(picked) < n:
        picked.append(pool.pop(rng.index(len(pool))))
    return picked


def resolve(cluster: Cluster, target: str, rng: Stream, count: int | None = None) -> list[str]:
    """The hosts a target names at this moment (selectors look at the cluster now), in file
    order; `count` picks that many store members at random for `dcs` (default: all)."""
    net = cluster.net
    kind, _, rest = target.partition(":")
    if rest and kind in ("zone", "region"):
        site_of = net.zone_of if kind == "zone" else net.region_of
        return [h for h in net.hosts() if site_of[h] == rest]
    if rest and kind in ("zone-of", "region-of"):
        site_of = net.zone_of if kind == "zone-of" else net.region_of
        sites = {site_of[h] for h in resolve(cluster, rest, rng, count)}
        return [h for h in net.hosts() if site_of[h] in sites]
    nodes = sorted(cluster.nodes, key=cluster.order)
    if target in NODE_SELECTORS:
        primaries = [n for n in nodes if cluster.nodes[n].writable]
        half = len(nodes) // 2
        picked = {
            "primary": primaries[:1],
            "primaries": primaries,
            "all": nodes,
        }.get(target)
        if picked is None:
            if target == "replica":
                replicas = [n for n in nodes if n not in primaries and cluster.nodes[n].serving]
                picked = pick(replicas, 1, rng)
            else:
                size = {"one": 1, "minority": half, "majority": half + 1}[target]
                picked = pick(nodes, size, rng)
        return sorted(picked, key=cluster.order)
    if target in BACKUP_SELECTORS:
        backups = cluster.topo.backups
        stores = [s.host for s in backups.stores] if backups is not None else []
        return stores[:1] if target == "backup-store" else stores
    if target == "dcs-leader":
        leader = cluster.store.leader if cluster.store else None
        return [leader] if leader else []
    if target == "dcs":
        members = list(cluster.store.members) if cluster.store else []
        picked = pick(members, len(members) if count is None else count, rng)
        return sorted(picked, key=cluster.order)
    return [target]


def _across(groups: list[list[str]], one_way: bool) -> Pairs:
    """(source, destination) pairs between different groups; one way: only from the first."""
    pairs: Pairs = []
    for i, a_group in enumerate(groups):
        for j, b_group in enumerate(groups):
            if i != j and (not one_way or i == 0):
                pairs.extend((a, b) for a in a_group for b in b_group if a != b)
    return pairs


def partition_pairs(cluster: Cluster, fault: Partition | Isolate, rng: Stream) -> Pairs:
    """The packets a partition drops, as (source, destination) pairs."""
    order = cluster.order
    if isinstance(fault, Isolate):
        inside = {h for t in [fault.target, *fault.with_] for h in resolve(cluster, t, rng)}
        rest = [h for h in cluster.net.hosts() if h not in inside]
        return _across([sorted(inside, key=order), rest], one_way=False)
    if fault.groups is not None:
        groups = [
            sorted({h for t in g for h in resolve(cluster, t, rng)}, key=order)
            for g in fault.groups
        ]
        return _across(groups, fault.one_way)
    nodes = sorted(cluster.nodes, key=order)
    if fault.pattern == "primaries":
        primaries = resolve(cluster, "primaries", rng)
        return _across([primaries, [n for n in nodes if n not in primaries]], fault.one_way)
    if fault.pattern == "halves":
        minority = resolve(cluster, "minority", rng)
        return _across([minority, [n for n in nodes if n not in minority]], fault.one_way)
    # majorities-ring (Jepsen): in a random ring, each node hears only the majority window
    # around it, so every node sees a majority but no two nodes the same one.
    ring = pick(nodes, len(nodes), rng)
    n = len(ring)
    majority = n // 2 + 1
    behind = (majority - 1) // 2
    pairs: Pairs = []
    for i, receiver in enumerate(ring):
        window = {ring[(i - behind + k) % n] for k in range(majority)}
        pairs.extend((source, receiver) for source in ring if source not in window)
    return sorted(pairs, key=lambda p: (order(p[0]), order(p[1])))


def drop_map(pairs: Pairs, order: Callable[[str], int]) -> str:
    """A cut as Maelstrom writes it, receivers to the sources they drop:
    `b<-a,c d<-a` (for the history, where checkers and readers parse it back)."""
    drops: dict[str, list[str]] = {}
    for source, receiver in pairs:
        drops.setdefault(receiver, []).append(source)
    return " ".join(
        f"{r}<-{','.join(sorted(drops[r], key=order))}" for r in sorted(drops, key=order)
    )


def parse_drop_map(text: str) -> set[tuple[str, str]]:
    """The (source, receiver) pairs of a `drop_map` string."""
    out: set[tuple[str, str]] = set()
    for item in text.split():
        receiver, sources = item.split("<-")
        out.update((source, receiver) for source in sources.split(","))
    return out


def describe(fault: Fault) -> str:
    """A short label for a fault, for histories and reports."""
    kind = fault.kind
    if isinstance(fault, Partition):
        if fault.pattern:
            return f"partition {fault.pattern}" + (" one-way" if fault.one_way else "")
        assert fault.groups is not None
        arrow = " -/-> " if fault.one_way else " | "
        return "partition " + arrow.join(",".join(g) for g in fault.groups)
    groups = getattr(fault, "groups", None)
    if groups:
        return f"{kind} " + " | ".join(",".join(g) for g in groups)
    return f"{kind} {getattr(fault, 'target', '')}".rstrip()
