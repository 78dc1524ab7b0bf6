"""When the incident a run measures begins."""

from __future__ import annotations

from sim.history import History


def _stage(history: History) -> frozenset[int]:
    """The faults that only set the stage (`incident: false` in the scenario), by index."""
    return frozenset(history.meta.get("stage_faults", ()))


def fault_start(history: History) -> float | None:
    """The time the first fault that is an incident was injected, or None when the run had
    none."""
    stage = _stage(history)
    return min(
        (f.t for f in history.faults if f.phase == "start" and f.fault not in stage),
        default=None,
    )


def incidents(history: History) -> int:
    """How many faults of the timeline that are incidents started in the run (a random
    failure profile draws many; a flapping link is one however often it flaps)."""
    return len(incident_starts(history))


def incident_starts(history: History) -> list[float]:
    """When each fault of the timeline that is an incident first started, in time order."""
    stage = _stage(history)
    first: dict[int, float] = {}
    for f in history.faults:
        if f.phase == "start" and f.fault not in stage and f.fault not in first:
            first[f.fault] = f.t
    return sorted(first.values())
