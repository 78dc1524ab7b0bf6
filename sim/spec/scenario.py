"""A scenario file: a timeline of faults, how long to watch, and the metric thresholds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.spec.base import Name, Spec
from sim.spec.failures import Maintenance, RandomFailures, Windows
from sim.spec.fault import Fault
from sim.units import Duration


class Checks(Spec):
    """Thresholds of the checkers (DESIGN.md, Metrics)."""

    stable: Duration = Field(
        default="5s",
        validate_default=True,
        description="writes must keep succeeding this long to count as recovered",
    )
    slow: Duration = Field(
        default="1s", validate_default=True, description="a write slower than this counts as down"
    )
    stale_bound: Duration = Field(
        default="1s",
        validate_default=True,
        description="a read that missed writes made more than this long before it is stale",
    )


class Targets(Spec):
    """The recovery objectives this scenario's disruption must meet, as a resiliency policy
    states them per disruption type; `hasim validate` checks them when no --rto is given."""

    disruption: Literal["hardware", "software", "az", "region"] = Field(
        description="the kind of disruption the scenario plays, as the policy names it"
    )
    rto: Duration = Field(description="recovery time objective")
    rpo: Duration | None = Field(default=None, description="recovery point objective")
    fraction: float = Field(
        default=0.99, gt=0.0, le=1.0, description="share of incidents that must meet both"
    )
    confidence: float = Field(
        default=0.95, gt=0.0, lt=1.0, description="confidence of the bound that shows it"
    )


class Scenario(Spec):
    """Faults on a timeline; at `duration` every fault heals, nodes rejoin, the cluster
    settles and a final read records what it holds."""

    name: Name
    description: str
    duration: Duration = Field(description="observation window from the start of the run")
    settle: Duration = Field(description="after the final heal, time to rejoin before the read")
    faults: list[Fault] = Field(default_factory=list)
    failures: list[RandomFailures] = Field(
        default_factory=list,
        description="random failure profiles, drawn per seed over the whole duration",
    )
    maintenance: list[Maintenance] = Field(
        default_factory=list,
        description="planned maintenance windows: hosts rebooted on a schedule",
    )
    windows: Windows = Field(
        default_factory=Windows,
        description="incident windows and fast-forward of the quiet time between them "
        "(scenarios with random failure profiles)",
    )
    checks: Checks = Checks()
    targets: Targets | None = None
    requires: list[Literal["backups"]] = Field(
        default_factory=list,
        description="what a topology must have for this scenario to make sense (backups: a "
        "backup policy to restore from); a topology without it is refused with the reason",
    )

    @property
    def recurring(self) -> bool:
        """Whether faults recur over the duration (failure profiles or maintenance windows):
        a run of incidents cut into windows, with figures per year."""
        return bool(self.failures or self.maintenance)

    @model_validator(mode="after")
    def _within(self) -> Scenario:
        if not self.faults and not self.recurring:
            raise ValueError(
                "a scenario needs `faults` (a timeline), `failures` (random failure "
                "profiles) or `maintenance` (planned windows): add one"
            )
        for fault in self.faults:
            if fault.at >= self.duration:
                raise ValueError(
                    f"a fault at {fault.at:g} s starts after the scenario ends "
                    f"({self.duration:g} s): lengthen `duration` or move the fault"
                )
        return self
