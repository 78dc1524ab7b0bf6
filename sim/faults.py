"""What a fault does to the cluster, and the check that a scenario's targets exist in a
topology (with the scenario file's line in the message)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.errors import InputError
from sim.spec import Scenario, Topology
from sim.spec.failover import Lease
from sim.spec.fault import SELECTORS, CrashDb, CrashDcs, Fault, Partition
from sim.yamlio import LineMap, dotted

if TYPE_CHECKING:
    from sim.cluster.core import Cluster
    from sim.rng import Stream


def check_targets(topology: Topology, scenario: Scenario, lines: LineMap | None) -> None:
    """Every host, zone or region a scenario names exists in the topology, and every
    selector makes sense for it; `InputError` pointing at the scenario's line otherwise."""
    hosts = topology.hosts()
    zones = {z.name for r in topology.regions for z in r.zones}
    regions = {r.name for r in topology.regions}
    file = lines.file if lines else f"scenario {scenario.name}"

    def fail(loc: tuple[str | int, ...], problem: str, fix: str) -> None:
        line = lines.line(loc) if lines else None
        raise InputError(problem, file=file, line=line, field=dotted(loc), fix=fix)

    for i, fault in enumerate(scenario.faults):
        named: list[tuple[tuple[str | int, ...], str]]
        if isinstance(fault, Partition):
            named = [
                (("faults", i, "groups", g, k), t)
                for g, group in enumerate(fault.groups)
                for k, t in enumerate(group)
            ]
        else:
            named = [(("faults", i, "target"), fault.target)]
        for loc, target in named:
            kind, _, site = target.partition(":")
            if site and kind in ("zone", "region"):
                known = zones if kind == "zone" else regions
                if site not in known:
                    fail(
                        loc,
                        f"no {kind} named '{site}' in topology {topology.name}",
                        f"use one of: {', '.join(sorted(known))}",
                    )
            elif target in ("dcs-leader", "dcs"):
                if not isinstance(topology.failover, Lease):
                    fail(
                        loc,
                        f"'{target}' needs a consensus store; topology {topology.name} has none",
                        "target hosts by name or use primary / replica",
                    )
            elif target in SELECTORS:
                continue
            elif target not in hosts:
                fail(
                    loc,
                    f"no host named '{target}' in topology {topology.name}",
                    f"name one of: {', '.join(hosts)}, or a selector "
                    f"({', '.join(SELECTORS)}, zone:NAME, region:NAME)",
                )
            elif isinstance(fault, CrashDb) and hosts[target][0].kind != "db":
                fail(loc, f"'{target}' is not a db host", "crash-db targets database hosts")
            elif isinstance(fault, CrashDcs) and hosts[target][0].kind != "dcs":
                fail(loc, f"'{target}' is not a dcs host", "crash-dcs targets store members")


def resolve(cluster: Cluster, target: str, rng: Stream, count: int | None = None) -> list[str]:
    """The hosts a target names at this moment (selectors look at the cluster now); `count`
    picks that many store members at random for `dcs` (default: all of them)."""
    net = cluster.net
    if target.startswith("zone:"):
        return [h for h in net.hosts() if net.zone_of[h] == target[5:]]
    if target.startswith("region:"):
        return [h for h in net.hosts() if net.region_of[h] == target[7:]]
    nodes = [cluster.nodes[n] for n in sorted(cluster.nodes, key=cluster.order)]
    if target == "primary":
        primaries = [n.name for n in nodes if n.writable]
        return primaries[:1]
    if target == "replica":
        replicas = [n.name for n in nodes if n.role == "replica" and n.serving]
        return [replicas[rng.index(len(replicas))]] if replicas else []
    if target == "dcs-leader":
        leader = cluster.store.leader if cluster.store else None
        return [leader] if leader else []
    if target == "dcs":
        members = list(cluster.store.members) if cluster.store else []
        picked: list[str] = []
        want = len(members) if count is None else count
        while members and len(picked) < want:
            picked.append(members.pop(rng.index(len(members))))
        return sorted(picked, key=cluster.order)
    return [target]


def partition_pairs(
    cluster: Cluster, groups: list[list[str]], rng: Stream
) -> list[tuple[str, str]]:
    """Every (source, destination) pair across different groups, both directions."""
    resolved = [
        sorted({h for t in g for h in resolve(cluster, t, rng)}, key=cluster.order) for g in groups
    ]
    pairs: list[tuple[str, str]] = []
    for i, a_group in enumerate(resolved):
        for j, b_group in enumerate(resolved):
            if i != j:
                pairs.extend((a, b) for a in a_group for b in b_group if a != b)
    return pairs


def describe(fault: Fault) -> str:
    """A short label for a fault, for histories and reports."""
    if isinstance(fault, Partition):
        return "partition " + " | ".join(",".join(g) for g in fault.groups)
    if isinstance(fault, CrashDcs):
        return f"crash-dcs {fault.target}"
    return f"{fault.kind} {fault.target}"
