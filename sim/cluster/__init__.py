"""The cluster model: simpy processes driven by the topology file."""
