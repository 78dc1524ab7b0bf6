"""The file formats: pydantic models for topologies and scenarios (the single source of truth)."""

from sim.spec.scenario import Scenario
from sim.spec.topology import Topology

__all__ = ["Scenario", "Topology"]
