"""Failover families: one model per family of systems."""
