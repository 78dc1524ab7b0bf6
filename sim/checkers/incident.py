"""When the incident a run measures begins."""

from __future__ import annotations

from sim.history import History


def fault_start(history: History) -> float | None:
    """The time the first fault was injected, or None when the run had no fault."""
    return min((f.t for f in history.faults if f.phase == "start"), default=None)
