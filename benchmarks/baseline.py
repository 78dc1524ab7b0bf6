"""What the benchmarks share: the preset's workload line, and a timed run of the reference
baseline ../shared/baselines/naive_failover.py (every write its own simpy event)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sim.spec import Topology

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT.parent / "shared" / "baselines" / "naive_failover.py"


def workload_line(topology: Topology) -> str:
    """The probe clients and transaction rate a benchmark runs with (the preset's own)."""
    clients = topology.workload.clients
    writes = sum(c.writes for c in clients)
    reads = sum(c.reads for c in clients)
    return (
        f"  workload (preset defaults): {len(clients)} clients, {writes:g} probe writes/s + "
        f"{reads:g} probe reads/s ({writes + reads:g} ops/s), "
        f"{topology.workload.transactions:g} tx/s as positions"
    )


def run_baseline(path: Path, hours: float, rate: float) -> tuple[float, int]:
    """Wall seconds and heap events of the baseline over `hours` simulated at `rate`
    writes a second."""
    cmd = [sys.executable, str(path), "--hours", f"{hours:.6f}", "--rate", f"{rate:g}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = re.search(r"wall = ([0-9.]+) s; heap events = ([0-9,]+)", out)
    assert match, out
    return float(match[1]), int(match[2].replace(",", ""))
