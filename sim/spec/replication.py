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


Replication = Annotated[Async | SemiSync | Sync, Field(discriminator="mode")]
