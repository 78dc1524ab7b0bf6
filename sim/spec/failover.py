"""How a failed primary is detected and replaced: one model per family of systems."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sim.spec.base import DurationDist, Name, Spec
from sim.units import Duration, Size


class Manual(Spec):
    """An on-call human: an alert fires, someone responds, then runs the promotion runbook."""

    family: Literal["manual"]
    alert_delay: Duration = Field(
        description="from the failure to the page: scrape interval plus the alert rule's `for`"
    )
    response: DurationDist = Field(
        description="from the page to a decision at the keyboard (acknowledge, log in, assess)"
    )
    promotion: DurationDist = Field(
        description="runbook steps: check the replicas' positions, promote the most advanced "
        "one, repoint the others and the clients"
    )


class ConsensusStore(Spec):
    """The consensus store (etcd, Consul, ZooKeeper) that holds the leader key: a failure
    domain of its own, with a Raft quorum among its members."""

    members: list[Name] = Field(min_length=1, description="dcs hosts that run a member")
    heartbeat: Duration = Field(description="Raft heartbeat interval of the store")
    election_timeout: Duration = Field(
        description="a member that hears no leader for this long (randomised up to 2x) starts "
        "an election"
    )
    commit: Duration = Field(description="time to persist one write on a member (fsync)")
    request_timeout: Duration = Field(
        description="a member without quorum answers a request with an error after this long"
    )


class Lease(Spec):
    """A leader key with a TTL in a consensus store; an agent beside each database node runs a
    loop that renews the key (leader) or races for it when it expires (replicas)."""

    family: Literal["lease"]
    ttl: Duration = Field(description="lifetime of the leader key unless renewed")
    loop_wait: Duration = Field(description="time between two runs of each agent's loop")
    retry_timeout: Duration = Field(
        description="store and database operations are retried for this long before the agent "
        "gives up; a leader that cannot renew the key within it demotes itself"
    )
    maximum_lag_on_failover: Size = Field(
        description="a replica further behind than this (against the position the leader last "
        "published) may not take the leader key"
    )
    primary_start_timeout: Duration = Field(
        description="a leader whose database crashed restarts it in place for this long before "
        "it releases the key for a failover"
    )
    failsafe_mode: bool = Field(
        description="when the store loses quorum, keep the primary running as long as it can "
        "reach every other member's agent"
    )
    synchronous_mode: Literal["off", "on", "strict"] = Field(
        description="on: the agent manages the sync set and only a sync standby may be promoted, "
        "relaxing to async when no standby is left; strict: never relax (writes block)"
    )
    member_check_timeout: Duration = Field(
        description="timeout of the HTTP status calls a candidate makes to the other members"
    )
    watch: bool = Field(description="replicas wake on a watch of the leader key, not only by loop")
    watchdog: bool = Field(
        description="a hardware or soft watchdog resets the leader's machine when its agent "
        "misses a keepalive for ttl - 5 s (a 5 s safety margin)"
    )
    store: ConsensusStore | None = Field(
        default=None, description="the consensus store holding the leader key (required)"
    )


class Consensus(Spec):
    """The database nodes elect their leader themselves (Raft: etcd, MongoDB replica sets,
    CockroachDB and TiKV ranges): the leader sends heartbeats; a follower that hears none
    for its randomised election timeout stands for election in a new term; a majority of
    votes, granted only to a candidate whose log is at least as up to date, makes it leader."""

    family: Literal["consensus"]
    heartbeat: Duration = Field(description="leader to followers heartbeat interval")
    election_timeout: Duration = Field(
        description="a follower that hears no leader for this long (plus jitter) stands"
    )
    election_jitter: float = Field(
        ge=0.0,
        le=1.0,
        description="the timeout is drawn from [T, T × (1 + jitter)] at every reset "
        "(1.0: between T and 2T)",
    )
    check_quorum: bool = Field(
        description="a leader that has not heard from a majority for an election timeout steps "
        "down (self-fencing)"
    )
    pre_vote: bool = Field(
        description="a would-be candidate first asks whether it could win, so that a node cut "
        "off and back does not depose a healthy leader by raising the term"
    )
    priority: list[str] = Field(
        default_factory=list,
        description="nodes that may become leader, most preferred first (empty: all; those "
        "with a priority above 0)",
    )


class Observers(Spec):
    """Observer processes watch the primary (Redis Sentinel, Oracle's FSFO observer,
    Orchestrator): each marks it subjectively down after `down_after` without a valid reply,
    objectively down when `quorum` observers agree; a majority of observers elects one of
    them to lead the failover, which promotes the best replica and repoints the others."""

    family: Literal["observers"]
    observers: list[Name] = Field(min_length=1, description="observer hosts")
    ping: Duration = Field(description="each observer pings the primary this often")
    down_after: Duration = Field(
        description="no valid reply for this long: subjectively down (down-after-milliseconds)"
    )
    quorum: int = Field(ge=1, description="observers that must agree: objectively down")
    failover_timeout: Duration = Field(
        description="a failover that has not finished by then is retried by a new leader"
    )
    min_replicas_to_write: int = Field(
        ge=0,
        description="the primary refuses writes with fewer replicas connected and within "
        "`min_replicas_max_lag` (0: never refuses)",
    )
    min_replicas_max_lag: Duration = Field(description="how recent a replica's ack must be")
    self_fence_after: Duration | None = Field(
        default=None,
        description="a primary that has been out of reach of a majority of the voters (the "
        "observers and the database nodes, itself included) for this long steps down: the "
        "cluster manager takes its database offline on quorum loss, Fast-Start Failover's "
        "primary shutdown, a cluster node in its failed state. Absent: it never does",
    )


class NoFailover(Spec):
    """No primary to fail over: every node takes writes (multi-primary, leaderless), and
    availability follows from replication and consistency levels."""

    family: Literal["none"]


class Fencing(Spec):
    """What stops a deposed primary from acknowledging writes, beyond the family's own rules
    (a lease's self-demotion, a Raft leader's step-down, quorum-only writes)."""

    mode: Literal["none", "stonith"] = Field(
        description="stonith: before promoting, power the old primary off (IPMI, cloud API)"
    )
    time: Duration = Field(default="10s", validate_default=True, description="a power-off takes")
    failure: float = Field(
        default=0.0, ge=0.0, le=1.0, description="probability that a fencing attempt fails"
    )
    on_failure: Literal["proceed", "abort"] = Field(
        default="abort",
        description="after a failed fence: promote anyway, or leave the cluster without a "
        "primary rather than risk two (Pacemaker's rule)",
    )


class StandbyCluster(Spec):
    """A standby cluster in another region for disaster recovery: its nodes replicate
    asynchronously from the main cluster's primary (never in its sync set or quorum), take no
    part in its failovers, and one of them is promoted only once the whole main cluster is
    declared lost. After that promotion the runbook retires the main cluster: its database
    hosts are powered off as soon as they can be reached, and stay off."""

    nodes: list[Name] = Field(min_length=1, description="db hosts of the standby cluster")
    promotion: Literal["manual", "automatic"] = Field(
        description="manual: the loss pages a human who decides; automatic: a monitor in the "
        "standby region promotes on its own (and cannot tell a lost region from a cut link)"
    )
    detect: Duration = Field(
        description="no writable primary of the main cluster reachable from the standby "
        "cluster for this long: the disaster is declared (automatic) or the page goes out"
    )
    response: DurationDist | None = Field(
        default=None, description="manual: from the page to the decision to fail over (required)"
    )
    promote: DurationDist = Field(
        description="the runbook's or the automation's steps before the standby leader is "
        "promoted (checks, configuration change, moving the clients' DNS name)"
    )


Failover = Annotated[
    Manual | Lease | Consensus | Observers | NoFailover, Field(discriminator="family")
]
