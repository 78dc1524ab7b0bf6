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
    store: ConsensusStore | None = Field(
        default=None, description="the consensus store holding the leader key (required)"
    )


Failover = Annotated[Manual | Lease, Field(discriminator="family")]
