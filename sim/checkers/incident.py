"""When the incident a run measures begins."""

from __future__ import annotations

from sim.history import History


def fault_start(history: History) -> float | None:
    """The time the first fault was injected, or None when the run had no fault."""
    return min((f.t for f in history.faults if f.phase == "start"), default=None)


def incidents(history: History) -> int:
    """How many faults of the timeline started in the run (a random failure profile draws
    many; a flapping link is one however often it flaps)."""
    return len({f.fault for f in history.faults if f.phase == "start"})


def incident_starts(history: History) -> list[float]:
    """When each fault of the timeline first started, in time order: one incident each."""
    first: dict[int, float] = {}
    for f in history.faults:
        if f.phase == "start" and f.fault not in first:
            first[f.fault] = f.t
    return sorted(first.values())
