"""When the primary acknowledges a commit: the replication mode."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sim.spec.base import Spec
from sim.units import Duration


class Async(Spec):
    """Acknowledge after the local flush; standbys catch up when they can."""

    mode: Literal["async"]


class SemiSync(Spec):
    """Wait for `wait_for` replicas to have received the commit, for at most `timeout`; after
    a timeout, fall back to async until a replica has caught up (MySQL's rule)."""

    mode: Literal["semi_sync"]
    wait_for: int = Field(ge=1, description="replicas that must acknowledge receipt")
    timeout: Duration = Field(description="wait this long for acks, then fall back to async")


class Sync(Spec):
    """Wait for standbys to have flushed the commit: the first `num_sync` of the sync set by
    priority (`first`) or any `num_sync` of it (`any`), as PostgreSQL's
    synchronous_standby_names does. With nobody to wait for, commits wait forever, unless the
    failover controller manages the sync set and may relax it."""

    mode: Literal["sync"]
    method: Literal["first", "any"]
    num_sync: int = Field(ge=1)
    standbys: list[str] | Literal["all"] = Field(
        description="the sync set in priority order, or all standbys"
    )


class Quorum(Spec):
    """Acknowledge once a majority of the voting nodes (the primary among them) has flushed
    the commit: Raft and Paxos commit, MongoDB's w: majority."""

    mode: Literal["quorum"]


class MultiPrimary(Spec):
    """Every node is a primary: clients write to their nearest, each node ships its own log to
    the others asynchronously, and concurrent updates of one row are resolved by
    last-writer-wins on the commit timestamp (MySQL multi-source/circular replication,
    DynamoDB global tables)."""

    mode: Literal["multi_primary"]
    conflict: Literal["last-writer-wins"]


class Leaderless(Spec):
    """Dynamo-style: each row lives on `n` replicas; a coordinator sends every write to all
    of them and answers after `w` acknowledgements, reads ask `r`; a replica that is down
    gets the write later from the coordinator's hint (within `hint_window`)."""

    mode: Literal["leaderless"]
    n: int = Field(ge=1, description="replication factor")
    w: int = Field(ge=1, description="acknowledgements a write waits for (ONE 1, QUORUM n//2+1)")
    r: int = Field(ge=1, description="replicas a read asks (ONE 1, QUORUM n//2+1)")
    hinted_handoff: bool
    hint_window: Duration = Field(description="hints are kept this long (max_hint_window)")
    local: bool = Field(
        default=False,
        description="n replicas in every region (one replication factor per data centre), and "
        "w and r count only the replicas in the coordinator's region (LOCAL_QUORUM, "
        "LOCAL_ONE): other regions get each write without being waited for",
    )


Replication = Annotated[
    Async | SemiSync | Sync | Quorum | MultiPrimary | Leaderless, Field(discriminator="mode")
]
