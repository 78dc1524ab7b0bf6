"""The results store: every run's metrics and provenance in an embedded DuckDB file, so that
sweeps, validations and the dashboard reuse runs instead of recomputing them.

A run is a pure function of (topology, scenario, seed) and of the engine's code, so a stored
row is keyed by the digests of the two inputs, the seed and the digest of the engine's source
(`engine_digest`): any change to the model makes earlier rows unreachable rather than wrong.
Rows are written as each chunk of seeds finishes, so a sweep killed halfway resumes without
redoing or losing the runs it finished.

The file lives at `$HASIM_RESULTS`, or by default `~/.cache/hasim/results.duckdb`
(`$XDG_CACHE_HOME` honoured): no setup.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from sim.runner import hasim_version, spec_digest
from sim.spec import Scenario, Topology

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    topology_digest VARCHAR NOT NULL,
    scenario_digest VARCHAR NOT NULL,
    seed BIGINT NOT NULL,
    engine_digest VARCHAR NOT NULL,
    topology VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    hasim_version VARCHAR NOT NULL,
    events BIGINT NOT NULL,
    metrics VARCHAR NOT NULL,
    stored_at TIMESTAMP DEFAULT current_timestamp,
    PRIMARY KEY (topology_digest, scenario_digest, seed, engine_digest)
)
"""


@cache
def engine_digest() -> str:
    """SHA-256 over the engine's Python source, file by file in path order."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def default_path() -> Path:
    if env := os.environ.get("HASIM_RESULTS"):
        return Path(env)
    cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_home) / "hasim" / "results.duckdb"


def _encode(metrics: dict[str, Any]) -> str:
    # JSON has no infinity; a censored RTO is written as the string "inf".
    def fix(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return {"__float__": str(v)}
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [fix(x) for x in v]
        return v

    return json.dumps(fix(metrics), allow_nan=False)


def _decode(text: str) -> dict[str, Any]:
    def hook(d: dict[str, Any]) -> Any:
        return float(d["__float__"]) if set(d) == {"__float__"} else d

    return json.loads(text, object_hook=hook)


class ResultsStore:
    """Stored runs, keyed by (topology digest, scenario digest, seed, engine digest)."""

    def __init__(self, path: Path | None = None) -> None:
        import duckdb

        self.path = path or default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = duckdb.connect(str(self.path))
        self._db.execute(_SCHEMA)

    @classmethod
    def open_or_none(cls, path: Path | None = None) -> ResultsStore | None:
        """The store, or None when it cannot be opened (another process holds its lock, the
        folder is read-only): for callers that can recompute instead."""
        import duckdb

        try:
            return cls(path)
        except (OSError, duckdb.Error):
            return None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _key(topology: Topology, scenario: Scenario) -> tuple[str, str, str]:
        return spec_digest(topology), spec_digest(scenario), engine_digest()

    def get(
        self, topology: Topology, scenario: Scenario, seeds: Iterable[int]
    ) -> dict[int, tuple[dict[str, Any], int]]:
        """The stored (metrics, events) of those seeds that have been run."""
        wanted = sorted(set(seeds))
        if not wanted:
            return {}
        t, s, e = self._key(topology, scenario)
        rows = self._db.execute(
            "SELECT seed, metrics, events FROM runs WHERE topology_digest = ? AND "
            "scenario_digest = ? AND engine_digest = ? AND seed IN (SELECT unnest(?))",
            [t, s, e, wanted],
        ).fetchall()
        return {int(seed): (_decode(m), int(events)) for seed, m, events in rows}

    def put(
        self,
        topology: Topology,
        scenario: Scenario,
        rows: Iterable[tuple[int, dict[str, Any], int]],
    ) -> None:
        """Store (seed, metrics, events) rows; a row already there is kept."""
        t, s, e = self._key(topology, scenario)
        values = [
            (t, s, seed, e, topology.name, scenario.name, hasim_version(), events, _encode(m))
            for seed, m, events in rows
        ]
        if values:
            self._db.executemany(
                "INSERT OR IGNORE INTO runs (topology_digest, scenario_digest, seed, "
                "engine_digest, topology, scenario, hasim_version, events, metrics) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )

    def count(self) -> int:
        row = self._db.execute("SELECT count(*) FROM runs").fetchone()
        return int(row[0]) if row else 0
