"""Named random streams: one seeded generator per run, split per component.

Why named streams: adding a component or drawing one more number in one of them never shifts
the numbers another component sees, so a change stays local and seeds stay comparable. Each
stream is `SeedSequence([seed, crc32(name)])`; never Python's `hash`, which is salted per process.
"""

from __future__ import annotations

import math
import zlib
from statistics import NormalDist

import numpy as np

_STD = NormalDist()
Z99 = _STD.inv_cdf(0.99)
_BATCH = 256


class Stream:
    """A stream of random numbers for one component, drawn in batches (per-call numpy
    overhead would dominate: the model draws one number at a time)."""

    __slots__ = ("_buf", "_gen", "_i", "_j", "_nbuf", "name")

    def __init__(self, seed: int, name: str) -> None:
        self.name = name
        self.rekey(seed, name)

    def rekey(self, seed: int, key: str) -> None:
        """Start afresh from `SeedSequence([seed, crc32(key)])`, forgetting buffered draws."""
        seq = np.random.SeedSequence([seed, zlib.crc32(key.encode())])
        self._gen = np.random.Generator(np.random.PCG64(seq))
        self._buf: list[float] = []
        self._i = 0
        self._nbuf: list[float] = []
        self._j = 0

    def random(self) -> float:
        """Uniform on [0, 1)."""
        if self._i >= len(self._buf):
            self._buf = self._gen.random(_BATCH).tolist()
            self._i = 0
        u = self._buf[self._i]
        self._i += 1
        return u

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def exponential(self, mean: float) -> float:
        return -mean * math.log1p(-self.random())

    def normal(self) -> float:
        """Standard normal."""
        if self._j >= len(self._nbuf):
            self._nbuf = self._gen.standard_normal(_BATCH).tolist()
            self._j = 0
        z = self._nbuf[self._j]
        self._j += 1
        return z

    def lognormal(self, median: float, p99: float) -> float:
        """Log-normal with the given median and 99th percentile."""
        if p99 <= median:
            return median
        sigma = math.log(p99 / median) / Z99
        return median * math.exp(sigma * self.normal())

    def index(self, n: int) -> int:
        """Uniform integer in [0, n)."""
        return min(int(self.random() * n), n - 1)


class Streams:
    """The named streams of one run. From incident window `epoch` on (see `rekey`), stream
    `name` draws from `name@epoch`: what a window draws depends on its number alone, never
    on how many numbers the quiet time before it consumed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.epoch = 0
        self._streams: dict[str, Stream] = {}

    def __call__(self, name: str) -> Stream:
        if (s := self._streams.get(name)) is None:
            s = self._streams[name] = Stream(self.seed, name)
            if self.epoch:
                s.rekey(self.seed, f"{name}@{self.epoch}")
        return s

    def rekey(self, epoch: int) -> None:
        """Every stream, existing or created later, now draws from its `@epoch` key."""
        self.epoch = epoch
        for name in sorted(self._streams):
            self._streams[name].rekey(self.seed, f"{name}@{epoch}")
