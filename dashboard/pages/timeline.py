"""Timeline: one run of one topology, scenario and seed, drawn on one time axis."""

from __future__ import annotations

import data
import streamlit as st

from sim import charts
from sim.errors import InputError

st.title("Timeline of one run")

topologies, scenarios = data.catalog_or_stop()

with st.form("timeline_form", border=False):
    c1, c2, c3 = st.columns([2, 2, 1])
    default_topology = (data.default_topologies(topologies) or topologies)[0]
    topology = c1.selectbox(
        "Topology",
        topologies,
        index=data.default_index(topologies, default_topology),
        key="timeline_topology",
    )
    scenario = c2.selectbox(
        "Scenario",
        scenarios,
        index=data.default_index(scenarios, data.PREFERRED_SCENARIO),
        key="timeline_scenario",
    )
    seed = c3.number_input("Seed", min_value=0, value=1, step=1, key="timeline_seed")
    submitted = st.form_submit_button("Run", type="primary")

if submitted:
    try:
        with st.spinner(f"Running {topology} · {scenario} · seed {seed}…"):
            st.session_state["timeline_result"] = data.run_one(topology, scenario, int(seed))
    except InputError as err:
        data.show_input_error(err)

result = st.session_state.get("timeline_result")
if result is None:
    st.info("Choose a topology, a scenario and a seed, then press Run.")
    st.stop()

for warning in result.warnings:
    st.warning(warning)

st.plotly_chart(charts.timeline(result.history), key="timeline_figure")
st.caption(
    "Bars: each node's role. Shaded: faults. Markers and dotted lines: failure detected, "
    "leader elected, promotion done, route changed. Lower rows: client writes per second by "
    "site (ok / fail = certainly not applied / info = outcome unknown)."
)

m = result.metrics
st.subheader("Metrics")
cols = st.columns(6)
cols[0].metric("rto_s", data.fmt_s(m["rto_s"]), help=charts.RTO_DEFINITION)
cols[1].metric("rpo_s", data.fmt_s(m["rpo_s"], 2), help=charts.RPO_DEFINITION)
cols[2].metric("lost_writes", m["lost_writes"])
cols[3].metric("divergent_writes", m["divergent_writes"])
cols[4].metric("indeterminate", m["indeterminate"])
cols[5].metric("failovers", m["failovers"])
regions = " · ".join(f"{r} {data.fmt_s(v)}" for r, v in m["rto_s_by_region"].items())
st.caption(
    "rto_s by region (its worst zone; a zone whose clients all lost power is no witness): "
    + (regions or "no region has a witness")
)
st.caption(charts.RTO_DEFINITION)
st.caption(charts.RPO_DEFINITION)

st.plotly_chart(charts.breakdown_bar(m), key="timeline_breakdown")
st.caption(
    "rto_s by stage: detection, election, fencing, promotion, routing (worst site's routers) "
    "and the remainder on the client; the stages add up to rto_s."
)

with st.expander("All metrics"):
    st.dataframe(data.metric_rows(m), hide_index=True, key="timeline_metrics")
