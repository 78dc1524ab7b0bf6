"""A preset's notes: the documents its values come from, the failover time its timers imply,
and what the real system does that the model leaves out."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.spec.base import Spec
from sim.units import Duration


class FailoverBand(Spec):
    """From the primary's host crash to another node being promoted (the first role change to
    primary of another node): the range the documented timers imply, with the sum that gives
    it, so that a reader can check it and a test can hold the model to it."""

    low: Duration = Field(description="the fastest failover the timers allow")
    high: Duration = Field(description="the slowest failover the timers allow")
    arithmetic: str = Field(description="how the timers add up to low and high")

    @model_validator(mode="after")
    def _ordered(self) -> FailoverBand:
        if self.high < self.low:
            raise ValueError("high is below low: swap them")
        return self


class Notes(Spec):
    """What a preset claims and what it leaves out (presets in the catalog carry them)."""

    sources: list[str] = Field(
        min_length=1, description="the vendor documents the values come from, by title"
    )
    failover: FailoverBand | None = Field(
        description="the failover-time band of a primary crash; null when no node is promoted "
        "(every node takes writes, or a single node is restarted or restored)"
    )
    not_modelled: list[str] = Field(
        min_length=1,
        description="documented mechanisms of the real system that the model does not have",
    )
