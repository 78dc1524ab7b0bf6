"""Draws from the distributions of the file formats."""

from __future__ import annotations

import math

from sim.rng import Z99, Stream
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


def lognormal_mean(median: float, p99: float) -> float:
    """The mean of the log-normal with this median and 99th percentile."""
    if p99 <= median:
        return median
    sigma = math.log(p99 / median) / Z99
    return median * math.exp(sigma * sigma / 2.0)


def mean(dist: Dist) -> float:
    """The mean of `dist` (seconds)."""
    if isinstance(dist, Fixed):
        return dist.fixed
    if isinstance(dist, Uniform):
        return (dist.min + dist.max) / 2.0
    if isinstance(dist, LogNormal):
        return lognormal_mean(dist.median, dist.p99)
    if isinstance(dist, Weibull):
        return dist.scale * math.gamma(1.0 + 1.0 / dist.shape)
    return dist.mean
