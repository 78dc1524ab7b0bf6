"""Random failure profiles: per class of component, how long until it fails and how long until
it is repaired, drawn again and again over the whole scenario.

A zone or region event takes every host in it (correlated failure domains); a link failure cuts
two zones apart. Each component draws from its own random stream, named after the class and
the component, so its failures depend only on the seed and never on what else happened in the
run.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, model_validator

from sim.spec.base import Exponential, LogNormal, Spec
from sim.units import Duration


class Weibull(Spec):
    """Weibull with a shape (below 1: failures cluster early, infant mortality; above 1:
    wear-out) and a scale (the time by which 63 % have failed)."""

    shape: float = Field(gt=0.0)
    scale: Duration


def _life_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in (("shape", "weibull"), ("median", "lognormal"), ("mean", "exponential")):
            if key in value:
                return tag
        return None
    if isinstance(value, BaseModel):
        return {Weibull: "weibull", LogNormal: "lognormal"}.get(type(value), "exponential")
    return None


LifeDist = Annotated[
    Annotated[Exponential, Tag("exponential")]
    | Annotated[Weibull, Tag("weibull")]
    | Annotated[LogNormal, Tag("lognormal")],
    Discriminator(
        _life_tag,
        custom_error_type="distribution",
        custom_error_message=(
            "not a lifetime distribution: write {mean: 30d} (exponential), "
            "{shape: 1.5, scale: 40d} (Weibull) or {median: 1h, p99: 8h} (log-normal)"
        ),
    ),
]

Component = Literal["host", "disk", "zone", "region", "consensus-member", "link"]


class RandomFailures(Spec):
    """One class of component that fails at random: each one fails after a time-to-failure
    draw, is repaired after a time-to-repair draw, and so on until the scenario ends. A
    failed host is powered off and boots again once repaired; a failed disk takes its db
    host out until the disk is replaced, and the database comes back empty (it re-clones);
    a zone or region loses power with all its hosts; a consensus member crashes; a link cuts
    two zones apart."""

    component: Component
    targets: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="which ones: host names or host kinds (db, dcs, proxy, observer, backup: "
        "a backup store's own availability) for host; db host names for disk; "
        "zone or region names; store member hosts; zone pairs written 'a|b' for link. Empty: "
        "every db host (host, disk), every zone, every region, every store member, every "
        "pair of zones",
    )
    ttf: LifeDist = Field(description="time to failure, from the start or the last repair")
    ttr: LifeDist = Field(description="time to repair")


class Windows(Spec):
    """How a run with random failure profiles is cut into incident windows: each opens
    `lead` before a fault starts or ends (or a repaired host finishes booting) and, once the
    cluster is quiet, the time until the next one is fast-forwarded (sim/fastforward.py)."""

    lead: Duration = Field(
        default="1s",
        validate_default=True,
        description="a window opens this long before the fault or repair that starts it",
    )
    quiet: Duration = Field(
        default="2s",
        validate_default=True,
        description="quiet means nothing changed for this long, nothing is in progress, and "
        "every client has done well for the scenario's `stable` time",
    )


class Maintenance(Spec):
    """Planned maintenance (OS patching, a minor-version upgrade): every `every` from
    `start`, the hosts are rebooted one after another, `stagger` apart, each down for
    `duration`. The failover family is not told beforehand: a primary's reboot costs what its
    crash would (a switchover first is not modelled), which is what a maintenance window
    without a runbook step for the primary delivers."""

    targets: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="host names or host kinds (db, dcs, proxy, observer); empty: every db host",
    )
    every: Duration = Field(description="the cadence of the windows")
    start: Duration = Field(
        default="0s", validate_default=True, description="when the first window opens"
    )
    duration: Duration = Field(description="how long each host is down (reboot included)")
    stagger: Duration = Field(description="from one host's reboot to the next one's")

    @model_validator(mode="after")
    def _fits(self) -> Maintenance:
        if self.every <= 0.0:
            raise ValueError("`every` must be longer than zero: give the windows' cadence")
        return self
