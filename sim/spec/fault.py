"""What goes wrong: one fault of a scenario's timeline.

Targets are host names or selectors, resolved when the fault starts:

- database nodes, as Jepsen names them: `primary` (the node accepting writes then, or the
  first of several), `primaries` (every node accepting writes), `replica` (one standby),
  `one` (one node), `minority`, `majority`, `all`; random choices come from the run's seed;
- the consensus store: `dcs-leader` (its current leader), `dcs` (its members);
- backups: `backup-store` (the policy's first store), `backup-stores` (every store);
- sites: `zone:NAME`, `region:NAME`, and `zone-of:SELECTOR` / `region-of:SELECTOR` (every
  host in the zone or region of what the selector picks, e.g. `zone-of:primary`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.spec.base import Spec
from sim.units import ByteRate, Duration

Target = Annotated[
    str,
    Field(
        description="a host name; primary | primaries | replica | one | minority | majority | "
        "all | dcs-leader | dcs | backup-store | backup-stores; zone:NAME | region:NAME | "
        "zone-of:SELECTOR | region-of:SELECTOR",
        min_length=1,
    ),
]

Incident = Annotated[
    bool,
    Field(
        description="false: the fault only sets the stage (a backup store down before the "
        "disaster strikes); RTO, downtime and the failover breakdown count from the first "
        "fault that is an incident",
    ),
]

NODE_SELECTORS = ("primary", "primaries", "replica", "one", "minority", "majority", "all")
STORE_SELECTORS = ("dcs-leader", "dcs")
BACKUP_SELECTORS = ("backup-store", "backup-stores")
SELECTORS = NODE_SELECTORS + STORE_SELECTORS + BACKUP_SELECTORS
SITE_PREFIXES = ("zone:", "region:", "zone-of:", "region-of:")


class CrashHost(Spec):
    """Power off hosts: they black-hole every packet; optionally power them on again later."""

    kind: Literal["crash-host"]
    at: Duration
    incident: Incident = True
    target: Target
    restart_after: Duration | None = Field(
        default=None, description="power on again after this long; unset: only at the final heal"
    )
    restart_fraction: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="the share of the crashed hosts (rounded, picked at random) that power on "
        "after `restart_after`; the rest stay down until the final heal (an AZ power "
        "interruption: some instances come back, others are lost with their disks)",
    )
    lose_disk: bool = Field(
        default=False,
        description="the hosts' disks are lost: each database host comes back empty and "
        "re-clones its data from the primary (size / clone_rate) before it serves",
    )


class CrashDb(Spec):
    """Kill the database process only: the host stays up and refuses connections at once."""

    kind: Literal["crash-db"]
    at: Duration
    incident: Incident = True
    target: Target
    restart_after: Duration | None = Field(
        default=None,
        description="the service manager restarts it after this long; unset: whoever manages "
        "the node (a failover agent, a human) must",
    )


class CrashDcs(Spec):
    """Crash consensus-store members (their hosts), optionally restarting them later."""

    kind: Literal["crash-dcs"]
    at: Duration
    incident: Incident = True
    target: Target = Field(description="dcs-leader, dcs, or member host names")
    count: int = Field(default=1, ge=1, description="how many members when the target is `dcs`")
    restart_after: Duration | None = None


class Partition(Spec):
    """Cut the network between groups of hosts, or by a Jepsen pattern among the database
    nodes, for `duration`. `one_way`: packets from the first group to the others are dropped
    while the others still reach it."""

    kind: Literal["partition"]
    at: Duration
    incident: Incident = True
    duration: Duration
    groups: list[list[Target]] | None = Field(
        default=None, description="two or more groups; hosts in none of them reach everyone"
    )
    pattern: Literal["primaries", "majorities-ring", "halves"] | None = Field(
        default=None,
        description="primaries: the primaries from the other nodes; majorities-ring: each node "
        "sees a majority, no two the same; halves: a random minority from the rest",
    )
    one_way: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Partition:
        if (self.groups is None) == (self.pattern is None):
            raise ValueError("give either `groups` or `pattern`")
        if self.groups is not None:
            if len(self.groups) < 2:
                raise ValueError("a partition needs two or more groups")
            if any(len(g) == 0 for g in self.groups):
                raise ValueError("a partition group is empty")
        if self.one_way and self.pattern not in (None, "primaries", "halves"):
            raise ValueError("one_way needs two sides: groups, or the primaries or halves pattern")
        return self


class Isolate(Spec):
    """Cut `target` (and the hosts in `with`) off from every other host for `duration`."""

    kind: Literal["isolate"]
    at: Duration
    incident: Incident = True
    duration: Duration
    target: Target
    with_: list[Target] = Field(
        default_factory=list,
        alias="with",
        description="hosts that stay on the isolated side (e.g. the clients of its zone)",
    )


class Slow(Spec):
    """Gray failure: add latency to every packet `target` sends (tc-netem on its interface):
    a round trip with one target host gets `latency` more, one through two of them twice."""

    kind: Literal["slow"]
    at: Duration
    incident: Incident = True
    duration: Duration
    target: Target
    latency: Duration = Field(description="added one-way latency")
    jitter: Duration = Field(
        default="0s",
        validate_default=True,
        description="each packet's added latency varies uniformly by up to this much either "
        "way (tc-netem's jitter): latency spikes",
    )


class Loss(Spec):
    """Gray failure: drop a fraction of the packets to and from `target`. TCP retransmits
    (after 200 ms, doubling), so flows slow down; a stream's throughput falls as
    MSS / (RTT × sqrt(loss))."""

    kind: Literal["loss"]
    at: Duration
    incident: Incident = True
    duration: Duration
    target: Target
    probability: float = Field(gt=0.0, lt=1.0)


class Bandwidth(Spec):
    """Gray failure: cap the throughput of every flow to and from `target`."""

    kind: Literal["bandwidth"]
    at: Duration
    incident: Incident = True
    duration: Duration
    target: Target
    rate: ByteRate


class Flap(Spec):
    """A flapping link: the groups are cut for `down`, joined for `up`, again and again, for
    `duration`."""

    kind: Literal["flap"]
    at: Duration
    incident: Incident = True
    duration: Duration
    groups: list[list[Target]] = Field(min_length=2)
    down: Duration
    up: Duration


class Pause(Spec):
    """Freeze processes for `duration` (a long GC, SIGSTOP, a hypervisor stall): they resume
    with the view of the world they had. `process`: every process of the host, the database
    only, or the failover agent only."""

    kind: Literal["pause"]
    at: Duration
    incident: Incident = True
    duration: Duration
    target: Target
    process: Literal["host", "db", "agent"] = "host"


class ClockSkew(Spec):
    """The clock of `target` runs at `rate` times real time (below 1: slow) for `duration`:
    every timer its processes set (loops, timeouts, leases) lasts 1/rate as long."""

    kind: Literal["clock-skew"]
    at: Duration
    incident: Incident = True
    duration: Duration
    target: Target
    rate: float = Field(gt=0.0, le=10.0)


class Corrupt(Spec):
    """Logical corruption: a bad migration or a `DROP TABLE` removes one object on the
    primary at `at`. It is a write like any other, so it reaches every replica with the log:
    replication never undoes it; only a restore to a point before it (from the backups, or a
    delayed replica that has not applied it yet) does."""

    kind: Literal["corrupt"]
    at: Duration
    incident: Incident = True
    share: float = Field(
        gt=0.0,
        lt=1.0,
        description="the object's share of the data and of the probe keys: probes on it fail "
        "from `at` until it is restored",
    )


Fault = Annotated[
    CrashHost
    | CrashDb
    | CrashDcs
    | Partition
    | Isolate
    | Slow
    | Loss
    | Bandwidth
    | Flap
    | Pause
    | ClockSkew
    | Corrupt,
    Field(discriminator="kind"),
]


def targets_of(fault: Fault) -> list[tuple[tuple[str | int, ...], str]]:
    """Every target a fault names, with its path in the fault (for messages)."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    groups = getattr(fault, "groups", None)
    if groups:
        out += [
            (("groups", g, k), t) for g, group in enumerate(groups) for k, t in enumerate(group)
        ]
    if (target := getattr(fault, "target", None)) is not None:
        out.append((("target",), target))
    out += [(("with", k), t) for k, t in enumerate(getattr(fault, "with_", []))]
    return out
