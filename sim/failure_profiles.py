"""Random failure profiles and maintenance windows turned into a concrete fault timeline
for one seed.

Each component draws from its own stream, `failures/<class>/<component>`, so the failures of
one never shift when another is added, and the timeline is a function of (topology, scenario,
seed) alone: the nemesis then plays it like any hand-written one.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from pydantic import TypeAdapter

from sim.rng import Stream
from sim.sampling import sample
from sim.spec import Scenario, Topology
from sim.spec.failures import RandomFailures
from sim.spec.fault import Fault

_FAULT = TypeAdapter(Fault)
HOST_KINDS = ("db", "dcs", "proxy", "observer", "client", "backup")


def _zones(topology: Topology) -> list[str]:
    return [z.name for r in topology.regions for z in r.zones]


def named_hosts(topology: Topology, targets: list[str]) -> list[str]:
    """The hosts that host names and host kinds stand for (every db host when none), in file
    order; `ValueError` with the fix when a name does not exist."""
    if not targets:
        return topology.hosts_of("db")
    hosts = topology.hosts()
    out: list[str] = []
    for t in targets:
        if t in HOST_KINDS:
            out += [h for h in topology.hosts_of(t) if h not in out]
        elif t in hosts:
            out.append(t)
        else:
            raise ValueError(f"no host or host kind '{t}': name a host, or one of {HOST_KINDS}")
    return out


def components(topology: Topology, profile: RandomFailures) -> list[str]:
    """The components a profile names (every one of its class when it names none), in file
    order; `ValueError` with the fix when a name does not exist."""
    kind = profile.component
    if kind == "host":
        return named_hosts(topology, profile.targets)
    if kind == "disk":
        db = topology.hosts_of("db")
        for t in profile.targets:
            if t not in db:
                raise ValueError(f"'{t}' is not a db host: name one of {', '.join(db)}")
        return list(profile.targets) or db
    if kind == "consensus-member":
        members = topology.hosts_of("dcs")
        for t in profile.targets:
            if t not in members:
                raise ValueError(f"'{t}' is not a store member: name one of {members or 'none'}")
        if not members:
            raise ValueError("the topology has no consensus store: drop this profile")
        return list(profile.targets) or members
    if kind in ("zone", "region"):
        names = _zones(topology) if kind == "zone" else [r.name for r in topology.regions]
        for t in profile.targets:
            if t not in names:
                raise ValueError(f"no {kind} '{t}': name one of {', '.join(names)}")
        return list(profile.targets) or names
    zones = _zones(topology)
    pairs = [f"{a}|{b}" for a, b in combinations(zones, 2)]
    for t in profile.targets:
        a, _, b = t.partition("|")
        if a not in zones or b not in zones or a == b:
            raise ValueError(f"'{t}' is not a pair of zones: write 'a|b' with two of {zones}")
    return list(profile.targets) or pairs


def _fault(kind: str, name: str, at: float, repair: float) -> Fault:
    # Durations are written as a file would hold them (repr round-trips exactly).
    when, lasting = f"{at!r}s", f"{repair!r}s"
    data: dict[str, Any]
    if kind in ("host", "disk"):
        data = {"kind": "crash-host", "at": when, "target": name, "restart_after": lasting}
        if kind == "disk":
            data["lose_disk"] = True
    elif kind in ("zone", "region"):
        target = f"{kind}:{name}"
        data = {"kind": "crash-host", "at": when, "target": target, "restart_after": lasting}
    elif kind == "consensus-member":
        data = {"kind": "crash-dcs", "at": when, "target": name, "restart_after": lasting}
    else:
        a, _, b = name.partition("|")
        groups = [[f"zone:{a}"], [f"zone:{b}"]]
        data = {"kind": "partition", "at": when, "duration": lasting, "groups": groups}
    return _FAULT.validate_python(data)


def timeline(topology: Topology, scenario: Scenario, seed: int) -> list[Fault]:
    """The faults the scenario's profiles draw for this seed, in time order."""
    drawn: list[tuple[float, int, Fault]] = []
    # The names were checked with the scenario's targets (`check_targets`).
    for profile in scenario.failures:
        for name in components(topology, profile):
            stream = Stream(seed, f"failures/{profile.component}/{name}")
            t = sample(profile.ttf, stream)
            while t < scenario.duration:
                repair = sample(profile.ttr, stream)
                drawn.append((t, len(drawn), _fault(profile.component, name, t, repair)))
                t += repair + sample(profile.ttf, stream)
    return [f for _, _, f in sorted(drawn, key=lambda d: (d[0], d[1]))]


def maintenance_timeline(topology: Topology, scenario: Scenario) -> list[Fault]:
    """The reboots the scenario's maintenance windows schedule (no randomness), in time
    order; each window's hosts go one after another, `stagger` apart."""
    drawn: list[tuple[float, int, Fault]] = []
    for window in scenario.maintenance:
        # The names were checked with the scenario's targets (`check_targets`).
        hosts = named_hosts(topology, window.targets)
        opens = window.start
        while opens < scenario.duration:
            for j, host in enumerate(hosts):
                at = opens + j * window.stagger
                if at < scenario.duration:
                    drawn.append((at, len(drawn), _fault("host", host, at, window.duration)))
            opens += window.every
    return [f for _, _, f in sorted(drawn, key=lambda d: (d[0], d[1]))]


def with_random_failures(topology: Topology, scenario: Scenario, seed: int) -> Scenario:
    """The scenario with its profiles' faults for this seed, and its maintenance reboots,
    added to its own timeline."""
    if not scenario.recurring:
        return scenario
    drawn = [*timeline(topology, scenario, seed), *maintenance_timeline(topology, scenario)]
    faults = sorted([*scenario.faults, *drawn], key=lambda f: f.at)
    return scenario.model_copy(update={"faults": faults})
