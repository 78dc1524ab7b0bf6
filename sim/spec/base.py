"""The strict base of every file-format model, and distributions of durations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from sim.units import ByteRate, Duration


class Spec(BaseModel):
    """A part of a topology or scenario file: unknown fields are rejected, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RefError(Exception):
    """A cross-reference that does not hold, at a path into the file (`("database", "nodes")`).

    Why not a ValueError: pydantic would file it under the model's own location; this keeps the
    exact field, so that the message can name its line.
    """

    def __init__(self, loc: tuple[str | int, ...], problem: str, fix: str) -> None:
        self.loc = loc
        self.problem = problem
        self.fix = fix
        super().__init__(problem)


class Fixed(Spec):
    """Always the same duration."""

    fixed: Duration


class Uniform(Spec):
    """Uniform between two durations."""

    min: Duration
    max: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.max < self.min:
            raise ValueError("max is below min: swap them")
        return self


class LogNormal(Spec):
    """Log-normal, given by its median and its 99th percentile (what people can estimate)."""

    median: Duration
    p99: Duration

    @model_validator(mode="after")
    def _ordered(self) -> LogNormal:
        if self.p99 < self.median or self.median <= 0:
            raise ValueError("need 0 < median <= p99")
        return self


class Exponential(Spec):
    """Exponential with the given mean (memoryless waits, such as Poisson arrivals)."""

    mean: Duration


def _dist_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in (("fixed", "fixed"), ("median", "lognormal"), ("mean", "exponential")):
            if key in value:
                return tag
        if "min" in value or "max" in value:
            return "uniform"
    if isinstance(value, BaseModel):
        return {Fixed: "fixed", Uniform: "uniform", LogNormal: "lognormal"}.get(
            type(value), "exponential"
        )
    return None


DurationDist = Annotated[
    Annotated[Fixed, Tag("fixed")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[LogNormal, Tag("lognormal")]
    | Annotated[Exponential, Tag("exponential")],
    Discriminator(
        _dist_tag,
        custom_error_type="distribution",
        custom_error_message=(
            "not a distribution: write {fixed: 2s}, {min: 1s, max: 3s}, "
            "{median: 5m, p99: 30m} or {mean: 10m}"
        ),
    ),
]


class ByteRateRange(Spec):
    """A log-normal throughput, given by its median and 99th percentile."""

    median: ByteRate
    p99: ByteRate

    @model_validator(mode="after")
    def _ordered(self) -> ByteRateRange:
        if self.p99 < self.median or self.median <= 0:
            raise ValueError("need 0 < median <= p99")
        return self


HostKind = Literal["db", "dcs", "proxy", "client", "observer", "backup", "spare"]

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
