"""The dashboard's cached calls into hasim: catalog names, loaded files and runs.

Why cache on names and plain lists: Streamlit hashes the arguments and pickles the return
value of every `st.cache_data` call, so the arguments are catalog names and integers, and many
seeds come back as a list of metric dicts rather than histories. `InputError` is not caught
here (Streamlit does not cache exceptions); pages show it once with `show_input_error`.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

import sim
from sim.errors import InputError

PREFERRED_TOPOLOGIES = ("postgres-patroni-async", "postgres-patroni-sync", "postgres-manual")
PREFERRED_SCENARIO = "primary-crash"
WORKERS = 2


@st.cache_data(ttl=30, show_spinner=False)
def catalog_names(kind: str) -> list[str]:
    """Catalog names of `topologies` or `scenarios`. Why a short ttl: files added to the
    catalog while the app runs show up without a restart."""
    return sim.names(kind)


@st.cache_data(show_spinner=False)
def topology(name: str) -> sim.Topology:
    """A catalog topology's validated model; `InputError` if its file is bad."""
    return sim.load_topology(name).spec


@st.cache_data(show_spinner=False)
def scenario(name: str) -> sim.Scenario:
    """A catalog scenario's validated model; `InputError` if its file is bad."""
    return sim.load_scenario(name).spec


@st.cache_data(show_spinner=False, max_entries=64)
def run_many(topology_name: str, scenario_name: str, seed0: int, n: int) -> list[dict[str, Any]]:
    """The metrics of seeds `seed0 .. seed0+n-1`, one dict per seed (with its `seed`). Runs
    come from and go to the results store the CLI uses, so neither recomputes the other's;
    when the store is locked by another process, the runs are simply computed."""
    store = sim.ResultsStore.open_or_none()
    try:
        results = sim.run_seeds(
            topology(topology_name),
            scenario(scenario_name),
            range(seed0, seed0 + n),
            workers=WORKERS,
            store=store,
        )
    finally:
        if store is not None:
            store.close()
    return [{"seed": r.seed, **r.metrics} for r in results]


@st.cache_data(show_spinner=False, max_entries=8)
def run_one(topology_name: str, scenario_name: str, seed: int) -> sim.RunResult:
    """One seed's full result: its history, metrics and the topology's warnings."""
    return sim.run(topology(topology_name), scenario(scenario_name), seed)


def default_topologies(available: list[str]) -> list[str]:
    """The preferred presets that exist, or else the first two names."""
    preferred = [n for n in PREFERRED_TOPOLOGIES if n in available]
    return preferred if len(preferred) >= 2 else available[:2]


def default_index(available: list[str], preferred: str) -> int:
    """Index of `preferred` in `available`, or 0."""
    return available.index(preferred) if preferred in available else 0


def show_input_error(err: InputError) -> None:
    """Bad input, shown once, without a traceback."""
    st.error(str(err))


def catalog_or_stop() -> tuple[list[str], list[str]]:
    """The catalog's topology and scenario names; a page without either stops with a note."""
    topologies, scenarios = catalog_names("topologies"), catalog_names("scenarios")
    if not topologies or not scenarios:
        st.warning("The catalog has no topologies or no scenarios (topologies/, scenarios/).")
        st.stop()
    return topologies, scenarios


def fmt_s(value: float, digits: int = 1) -> str:
    """Seconds for display; a censored +inf reads as such."""
    if math.isinf(value):
        return "+inf (not recovered)"
    text = fmt_num(value, digits)
    return text if math.isnan(value) else f"{text} s"


def fmt_num(value: float, digits: int = 2) -> str:
    if math.isinf(value):
        return "+inf"
    if math.isnan(value):
        return "–"
    return f"{value:.{digits}f}"


def metric_rows(metrics: dict[str, Any]) -> list[dict[str, str]]:
    """A run's metrics as (metric, value) rows, per-site dicts spread out, +inf spelled out."""
    rows = []
    for key, value in metrics.items():
        if isinstance(value, dict):
            rows.extend({"metric": f"{key}[{k}]", "value": _plain(v)} for k, v in value.items())
        else:
            rows.append({"metric": key, "value": _plain(value)})
    return rows


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return fmt_num(value, 3)
    return str(value)
