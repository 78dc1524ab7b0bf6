"""Draws from the distributions of the file formats."""

from __future__ import annotations

import math

from sim.rng import Stream
from sim.spec.base import Exponential, Fixed, LogNormal, Uniform
from sim.spec.failures import Weibull

Dist = Fixed | Uniform | LogNormal | Exponential | Weibull


def sample(dist: Dist, stream: Stream) -> float:
    """One draw of `dist` from `stream` (seconds)."""
    if isinstance(dist, Fixed):
        return dist.fixed
    if isinstance(dist, Uniform):
        return stream.uniform(dist.min, dist.max)
    if isinstance(dist, LogNormal):
        return stream.lognormal(dist.median, dist.p99)
    if isinstance(dist, Weibull):
        return dist.scale * (-math.log1p(-stream.random())) ** (1.0 / dist.shape)
    return stream.exponential(dist.mean)
