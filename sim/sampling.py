"""Draws from the distributions of the file formats."""

from __future__ import annotations

from sim.rng import Stream
from sim.spec.base import Exponential, Fixed, LogNormal, Uniform

Dist = Fixed | Uniform | LogNormal | Exponential


def sample(dist: Dist, stream: Stream) -> float:
    """One draw of `dist` from `stream` (seconds)."""
    if isinstance(dist, Fixed):
        return dist.fixed
    if isinstance(dist, Uniform):
        return stream.uniform(dist.min, dist.max)
    if isinstance(dist, LogNormal):
        return stream.lognormal(dist.median, dist.p99)
    return stream.exponential(dist.mean)
