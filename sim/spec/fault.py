"""What goes wrong: one fault of a scenario's timeline.

Targets are host names or selectors resolved when the fault starts: `primary` (the node
accepting writes then), `replica` (one standby, picked by the run's seed), `dcs-leader` (the
consensus store's current leader), `dcs` (every store member), `zone:NAME`, `region:NAME`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.spec.base import Spec
from sim.units import Duration

Target = Annotated[
    str,
    Field(
        description="a host name, or primary | replica | dcs-leader | dcs | zone:NAME | "
        "region:NAME",
        min_length=1,
    ),
]

SELECTORS = ("primary", "replica", "dcs-leader", "dcs")


class CrashHost(Spec):
    """Power off hosts: they black-hole every packet; optionally power them on again later."""

    kind: Literal["crash-host"]
    at: Duration
    target: Target
    restart_after: Duration | None = Field(
        default=None, description="power on again after this long; unset: only at the final heal"
    )


class CrashDb(Spec):
    """Kill the database process only: the host stays up and refuses connections at once."""

    kind: Literal["crash-db"]
    at: Duration
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
    target: Target = Field(description="dcs-leader, dcs, or member host names")
    count: int = Field(default=1, ge=1, description="how many members when the target is `dcs`")
    restart_after: Duration | None = None


class Partition(Spec):
    """Cut the network between groups of hosts: no packet crosses from one group to another
    (in both directions), for `duration`."""

    kind: Literal["partition"]
    at: Duration
    duration: Duration
    groups: list[list[Target]] = Field(
        min_length=2, description="two or more groups; hosts in none of them reach everyone"
    )

    @model_validator(mode="after")
    def _nonempty(self) -> Partition:
        if any(len(g) == 0 for g in self.groups):
            raise ValueError("a partition group is empty")
        return self


Fault = Annotated[CrashHost | CrashDb | CrashDcs | Partition, Field(discriminator="kind")]
