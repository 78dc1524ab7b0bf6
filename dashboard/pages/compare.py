"""Compare: several topologies under one scenario, over many seeds, side by side."""

from __future__ import annotations

import math

import data
import streamlit as st

from sim import charts
from sim.errors import InputError

st.title("Compare topologies")
st.caption(
    "Each topology runs the same scenario with the same seeds; every run's metrics come from "
    "its recorded history."
)

topologies, scenarios = data.catalog_or_stop()

with st.form("compare_form", border=False):
    left, right = st.columns([2, 1])
    chosen = left.multiselect(
        "Topologies (two or more)",
        topologies,
        default=data.default_topologies(topologies),
        key="compare_topologies",
    )
    scenario = right.selectbox(
        "Scenario",
        scenarios,
        index=data.default_index(scenarios, data.PREFERRED_SCENARIO),
        key="compare_scenario",
    )
    left, right = st.columns([2, 1])
    n = left.slider("Seeds per topology", 10, 200, 30, key="compare_seeds")
    seed0 = right.number_input("First seed", min_value=0, value=1, step=1, key="compare_seed0")
    submitted = st.form_submit_button("Run", type="primary")

if submitted:
    if not chosen:
        st.warning("Pick at least one topology.")
    else:
        results: dict[str, list[dict]] = {}
        bar = st.progress(0.0, text="Running…")
        try:
            for i, name in enumerate(chosen):
                bar.progress(i / len(chosen), text=f"{name}: {n} seeds of {scenario}…")
                results[name] = data.run_many(name, scenario, int(seed0), int(n))
        except InputError as err:
            data.show_input_error(err)
            results = {}
        finally:
            bar.empty()
        if results:
            st.session_state["compare_result"] = {
                "scenario": scenario,
                "seed0": int(seed0),
                "n": int(n),
                "results": results,
            }

stored = st.session_state.get("compare_result")
if stored is None:
    st.info("Choose topologies and a scenario, then press Run.")
    st.stop()

results = stored["results"]
first, last = stored["seed0"], stored["seed0"] + stored["n"] - 1
st.subheader(f"{stored['scenario']} · seeds {first}–{last}")
if len(results) < 2:
    st.info("Only one topology: pick two or more to compare them.")

rto = {name: [m["rto_s"] for m in runs] for name, runs in results.items()}
censored = {name: sum(math.isinf(v) for v in vals) for name, vals in rto.items()}

col_rto, col_lost = st.columns(2)
with col_rto:
    st.plotly_chart(charts.rto_ecdf(rto), key="compare_rto_ecdf")
    st.caption(charts.RTO_DEFINITION)
    st.caption(
        "Censored runs (did not recover before the horizon, rto_s = +inf): "
        + ", ".join(f"{name} {censored[name]} of {len(rto[name])}" for name in rto)
        + ". They are drawn at the right edge and stay in every percentile."
    )
with col_lost:
    lost = {name: [m["lost_writes"] for m in runs] for name, runs in results.items()}
    st.plotly_chart(charts.lost_writes_box(lost), key="compare_lost_box")
    st.caption("lost_writes: acknowledged probe writes absent from the final read.")

rows = charts.summary_rows(results)
st.plotly_chart(charts.cost_tradeoff(rows), key="compare_cost")
st.caption(charts.COST_DEFINITION)

st.subheader("Summary")
table = [
    {
        "topology": r["topology"],
        "runs": r["runs"],
        "rto_s p50": data.fmt_num(r["rto_s_p50"], 1),
        "rto_s p90": data.fmt_num(r["rto_s_p90"], 1),
        "rto_s p99": data.fmt_num(r["rto_s_p99"], 1),
        "rto_s max": data.fmt_num(r["rto_s_max"], 1),
        "lost_writes mean": data.fmt_num(r["lost_writes_mean"], 2),
        "discarded_writes mean": data.fmt_num(r["discarded_writes_mean"], 2),
        "rpo_s p50": data.fmt_num(r["rpo_s_p50"], 2),
        "rpo_s p99": data.fmt_num(r["rpo_s_p99"], 2),
        "failovers mean": data.fmt_num(r["failovers_mean"], 2),
        "restores mean": data.fmt_num(r["restores_mean"], 2),
        "restore_s p50": data.fmt_num(r["restore_s_p50"], 1),
        "cost/month (USD)": data.fmt_num(r["cost_month_usd"], 0),
        "censored": f"{r['censored_fraction']:.0%}",
    }
    for r in rows
]
st.dataframe(table, hide_index=True, key="compare_summary")
st.caption(charts.RTO_DEFINITION)
st.caption(charts.RPO_DEFINITION)
st.caption(
    "discarded_writes: lost writes a restore left out by choice (past its recovery target, "
    "though the backups held them). restores: restores finished after the fault; "
    "restore_s p50: the median restore, over the runs that restored (download, replay, open)."
)
st.caption(charts.COST_DEFINITION)
st.caption(
    "Percentiles are numpy's linear ones over all runs; a censored run counts as +inf, so a "
    "percentile that reaches it is +inf. censored: fraction of runs with rto_s = +inf."
)
