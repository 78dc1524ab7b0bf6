"""Plotly figures of results and histories, for the dashboard, the drill report and the CLI.

Pure functions of plain inputs (lists of numbers, metric dicts, a `History`): no Streamlit and
no pandas here, so a figure can be built and tested anywhere.

Why +inf needs care: a run that does not recover before the horizon has `rto_s` = +inf
(censored), and it must stay visible. Plotly cannot draw inf (its JSON turns it into null and
the point silently disappears), so censored runs are drawn at the right edge of the finite data
with their own marker and counted in the legend.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sim.checkers import BREAKDOWN_KEYS
from sim.compare import percentile as percentile
from sim.compare import summary_rows as summary_rows
from sim.history import History

RTO_DEFINITION = (
    "RTO: time from the fault to the first acknowledged write that survives, after which "
    "writes keep succeeding for the stable window."
)
RPO_DEFINITION = (
    "RPO: span of acknowledged writes lost: from the last write both lineages hold to the "
    "last lost write's acknowledgement."
)

ROLE_COLORS: dict[str, str] = {
    "primary": "#2ca02c",
    "demoting": "#bcbd22",
    "replica": "#1f77b4",
    "starting": "#17becf",
    "rejoining": "#9467bd",
    "stopped": "#ff7f0e",
    "down": "#d62728",
}
OTHER_ROLE_COLOR = "#7f7f7f"
OUTCOME_COLORS: dict[str, str] = {"ok": "#2ca02c", "fail": "#d62728", "info": "#ff7f0e"}
TIMELINE_EVENTS: tuple[str, ...] = (
    "object_lost",
    "failure_detected",
    "leader_elected",
    "restore_started",
    "promotion_done",
    "object_restored",
    "route_changed",
)
EVENT_SYMBOLS: dict[str, str] = {
    "object_lost": "x-open",
    "failure_detected": "x",
    "leader_elected": "star",
    "restore_started": "hourglass",
    "promotion_done": "diamond",
    "object_restored": "diamond-open",
    "route_changed": "triangle-up",
}
STAGE_COLORS: dict[str, str] = {
    "detection_s": "#d62728",
    "election_s": "#ff7f0e",
    "fencing_s": "#8c564b",
    "promotion_s": "#2ca02c",
    "routing_s": "#1f77b4",
    "client_s": "#9467bd",
}
CENSORED_SYMBOL = "triangle-right"
EVENTS_ROW = "events"


def _right_edge(results: Mapping[str, Sequence[float]]) -> float:
    """Where censored runs are drawn: a little right of the largest finite value."""
    finite = [v for vals in results.values() for v in vals if math.isfinite(v)]
    top = max(finite, default=0.0)
    return top * 1.1 if top > 0 else 1.0


def rto_ecdf(results: Mapping[str, Sequence[float]], metric: str = "rto_s") -> go.Figure:
    """The empirical CDF of `rto_s` per topology (one step line each, named by topology).

    The CDF counts every run, so with censored runs a curve tops out below 1; those runs are
    drawn as one marker per topology at the right edge (`x = edge`, y = 1), named
    "<topology>: k of n not recovered (+inf)", behind a dashed line labelled +inf.
    """
    fig = go.Figure()
    edge = _right_edge(results)
    any_censored = False
    for name, values in results.items():
        vals = sorted(float(v) for v in values)
        n = len(vals)
        finite = [v for v in vals if math.isfinite(v)]
        censored = n - len(finite)
        if finite:
            xs = [finite[0], *finite]
            ys = [0.0, *((i + 1) / n for i in range(len(finite)))]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines+markers",
                    line_shape="hv",
                    name=name,
                    legendgroup=name,
                    hovertemplate=f"{name}<br>{metric} ≤ %{{x:.2f}} s in %{{y:.0%}} of runs"
                    "<extra></extra>",
                )
            )
        if censored:
            any_censored = True
            fig.add_trace(
                go.Scatter(
                    x=[edge],
                    y=[1.0],
                    mode="markers+text",
                    marker={"symbol": CENSORED_SYMBOL, "size": 14},
                    text=[f"{censored}× +inf"],
                    textposition="middle left",
                    name=f"{name}: {censored} of {n} not recovered (+inf)",
                    legendgroup=name,
                    hovertemplate=f"{name}: {censored} of {n} runs did not recover before the "
                    "horizon (+inf)<extra></extra>",
                )
            )
    if any_censored:
        fig.add_vline(
            x=edge,
            line_dash="dash",
            line_color="gray",
            annotation_text="+inf (not recovered)",
            annotation_position="top left",
        )
    fig.update_layout(
        title=f"{metric}: empirical CDF per topology",
        xaxis_title=f"{metric} (s)",
        yaxis_title="fraction of runs",
        yaxis_range=[0, 1.05],
        legend_title="topology",
    )
    return fig


def lost_writes_box(
    results: Mapping[str, Sequence[float]], metric: str = "lost_writes"
) -> go.Figure:
    """One box per topology of a per-run count (lost acknowledged writes by default), with
    every run shown as a point; non-finite values are left out and counted in the name."""
    fig = go.Figure()
    for name, values in results.items():
        finite = [float(v) for v in values if math.isfinite(float(v))]
        dropped = len(values) - len(finite)
        label = name if not dropped else f"{name} ({dropped} non-finite left out)"
        fig.add_trace(
            go.Box(
                y=finite,
                name=label,
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                boxmean=True,
            )
        )
    fig.update_layout(
        title=f"{metric} per run", yaxis_title=metric, showlegend=False, yaxis_rangemode="tozero"
    )
    return fig


COST_DEFINITION = (
    "cost/month: the monthly bill from the list prices in each topology file (US dollars): "
    "instances, data volumes, backup storage with its retention, traffic between zones and "
    "regions."
)


def cost_tradeoff(rows: Sequence[Mapping[str, Any]]) -> go.Figure:
    """What a topology's month costs against the recovery it buys: one point per topology
    for its RTO p50 and one for its RPO p50, the cost on x. A p50 of +inf (a topology that
    never recovers) is drawn at the top edge; one without prices is left out and named."""
    priced = [r for r in rows if math.isfinite(float(r.get("cost_month_usd", math.nan)))]
    finite = [
        float(r[k])
        for r in priced
        for k in ("rto_s_p50", "rpo_s_p50")
        if math.isfinite(float(r[k])) and float(r[k]) > 0
    ]
    top = max(finite, default=1.0) * 3.0
    fig = go.Figure()
    for key, label, symbol in (
        ("rto_s_p50", "RTO p50", "circle"),
        ("rpo_s_p50", "RPO p50", "square"),
    ):
        xs = [float(r["cost_month_usd"]) for r in priced]
        ys = [top if math.isinf(float(r[key])) else max(float(r[key]), 0.001) for r in priced]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers+text",
                marker={"symbol": symbol, "size": 12},
                text=[r["topology"] for r in priced],
                textposition="top center",
                name=label,
                hovertemplate=f"%{{text}}<br>{label} %{{y:.3g}} s at $%{{x:,.0f}} a month"
                "<extra></extra>",
            )
        )
    unpriced = [r["topology"] for r in rows if r not in priced]
    title = "monthly cost against recovery (p50; +inf at the top edge)"
    if unpriced:
        title += f" — no prices: {', '.join(unpriced)}"
    fig.update_layout(
        title=title,
        xaxis_title="cost per month (US dollars)",
        yaxis_title="seconds (log scale)",
        yaxis_type="log",
        legend_title="metric",
    )
    return fig


def role_segments(history: History) -> list[tuple[str, str, float, float]]:
    """(node, role, start, end) of each node's roles; the last lasts until meta t_end."""
    t_end = float(history.meta.get("t_end", max((r.t for r in history.roles), default=0.0)))
    by_node: dict[str, list[tuple[float, str]]] = {}
    for row in history.roles:
        by_node.setdefault(row.node, []).append((float(row.t), row.role))
    out = []
    for node in sorted(by_node):
        rows = by_node[node]
        for i, (t, role) in enumerate(rows):
            end = rows[i + 1][0] if i + 1 < len(rows) else max(t_end, t)
            if end > t or i + 1 == len(rows):
                out.append((node, role, t, end))
    return out


def fault_intervals(history: History) -> list[tuple[int, str, float, float]]:
    """(fault id, kind, start, end) of each fault; a fault without an end lasts until t_end."""
    t_end = float(history.meta.get("t_end", max((f.t for f in history.faults), default=0.0)))
    starts: dict[int, tuple[str, float]] = {}
    out = []
    for row in history.faults:
        if row.phase == "start":
            starts[row.fault] = (row.kind, float(row.t))
        elif row.fault in starts:
            kind, t0 = starts.pop(row.fault)
            out.append((row.fault, kind, t0, float(row.t)))
    out.extend((fid, kind, t0, max(t_end, t0)) for fid, (kind, t0) in starts.items())
    return sorted(out, key=lambda x: (x[2], x[0]))


def write_rates(history: History, bin_s: float = 1.0) -> dict[str, dict[str, list[int]]]:
    """Write outcomes per `bin_s` bin by completion time: site → outcome → counts, every
    list one bin per `bin_s` from 0 to meta t_end."""
    t_end = float(history.meta.get("t_end", 0.0))
    writes = [o for o in history.ops if o.f == "write"]
    top = max([t_end, *(o.t_complete for o in writes if math.isfinite(o.t_complete))])
    bins = int(top // bin_s) + 1
    out: dict[str, dict[str, list[int]]] = {}
    for op in writes:
        t = op.t_complete if math.isfinite(op.t_complete) else op.t_invoke
        per_site = out.setdefault(op.site, {k: [0] * bins for k in OUTCOME_COLORS})
        per_site.setdefault(op.outcome, [0] * bins)[min(int(t // bin_s), bins - 1)] += 1
    return {site: out[site] for site in sorted(out)}


def timeline(history: History, bin_s: float = 1.0) -> go.Figure:
    """One run on one time axis: each node's roles as colored bars (one trace per role), the
    named failover events as markers on an "events" row (one trace per event name) with
    dotted vertical lines, faults as shaded intervals across every row, and below, one row
    per client site of write outcomes per second (stacked ok / fail / info bars)."""
    rates = write_rates(history, bin_s)
    sites = list(rates)
    rows = 1 + len(sites)
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.45] + [0.55 / len(sites)] * len(sites) if sites else [1.0],
    )
    segments = role_segments(history)
    nodes = sorted({s[0] for s in segments})
    roles = [r for r in ROLE_COLORS if any(s[1] == r for s in segments)]
    roles += sorted({s[1] for s in segments} - set(roles))
    for role in roles:
        mine = [s for s in segments if s[1] == role]
        fig.add_trace(
            go.Bar(
                y=[s[0] for s in mine],
                x=[s[3] - s[2] for s in mine],
                base=[s[2] for s in mine],
                orientation="h",
                name=role,
                legendgroup="roles",
                legendgrouptitle_text="role",
                marker_color=ROLE_COLORS.get(role, OTHER_ROLE_COLOR),
                customdata=[[s[2], s[3]] for s in mine],
                hovertemplate=f"%{{y}}: {role}<br>%{{customdata[0]:.2f}} s → "
                "%{customdata[1]:.2f} s<extra></extra>",
            ),
            row=1,
            col=1,
        )
    for name in TIMELINE_EVENTS:
        mine = [e for e in history.events if e.name == name]
        if not mine:
            continue
        fig.add_trace(
            go.Scatter(
                x=[float(e.t) for e in mine],
                y=[EVENTS_ROW] * len(mine),
                mode="markers",
                marker={"symbol": EVENT_SYMBOLS.get(name, "circle"), "size": 11},
                name=name,
                legendgroup="events",
                legendgrouptitle_text="event",
                text=[f"{e.node} {e.detail}".strip() for e in mine],
                hovertemplate=f"{name} at %{{x:.2f}} s<br>%{{text}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        for e in mine:
            # One line over every row: x on the shared time axis, y on the whole figure.
            fig.add_shape(
                type="line",
                x0=float(e.t),
                x1=float(e.t),
                xref="x",
                y0=0,
                y1=1,
                yref="paper",
                line={"dash": "dot", "width": 1, "color": "gray"},
                name=name,
            )
    for fid, kind, t0, t1 in fault_intervals(history):
        fig.add_shape(
            type="rect",
            x0=t0,
            x1=t1,
            xref="x",
            y0=0,
            y1=1,
            yref="paper",
            fillcolor="red",
            opacity=0.12,
            layer="below",
            line_width=0,
            name=f"fault {fid}: {kind}",
        )
        fig.add_annotation(
            x=t0,
            xref="x",
            y=1,
            yref="paper",
            yanchor="bottom",
            xanchor="left",
            showarrow=False,
            text=f"fault {fid}: {kind}",
        )
    fig.update_yaxes(
        categoryorder="array", categoryarray=[*reversed(nodes), EVENTS_ROW], row=1, col=1
    )
    for i, site in enumerate(sites, start=2):
        below = [0] * len(next(iter(rates[site].values())))
        for outcome, counts in rates[site].items():
            fig.add_trace(
                go.Bar(
                    x=[(k + 0.5) * bin_s for k in range(len(counts))],
                    y=counts,
                    base=below,
                    width=bin_s,
                    name=outcome,
                    legendgroup=f"outcome-{outcome}",
                    legendgrouptitle_text="writes" if outcome == "ok" else None,
                    showlegend=i == 2,
                    marker_color=OUTCOME_COLORS.get(outcome, OTHER_ROLE_COLOR),
                    marker_line_width=0,
                    hovertemplate=f"{site}: %{{y}} writes {outcome} in %{{x:.0f}} s bin"
                    "<extra></extra>",
                ),
                row=i,
                col=1,
            )
            below = [b + c for b, c in zip(below, counts, strict=True)]
        fig.update_yaxes(title_text=f"{site}<br>writes/{bin_s:g}s", row=i, col=1)
    meta = history.meta
    title = " · ".join(str(meta[k]) for k in ("topology", "scenario") if k in meta) + (
        f" · seed {meta['seed']}" if "seed" in meta else ""
    )
    fig.update_layout(
        title=title or "timeline",
        # Why overlay with explicit bases: "stack" would also stack the role bars of one node.
        barmode="overlay",
        bargap=0,
        height=320 + 160 * len(sites),
        legend={"groupclick": "toggleitem"},
    )
    fig.update_xaxes(title_text="time (s)", row=rows, col=1)
    return fig


def breakdown_bar(metrics: Mapping[str, Any]) -> go.Figure:
    """`rto_s` as one horizontal bar stacked from its stages (one trace per breakdown key,
    in failover order). A censored run (+inf) has unbounded `client_s`: that stage is drawn
    empty and the title says the run did not recover."""
    fig = go.Figure()
    rto = float(metrics.get("rto_s", 0.0))
    for key in BREAKDOWN_KEYS:
        value = float(metrics.get(key, 0.0))
        shown = value if math.isfinite(value) else 0.0
        fig.add_trace(
            go.Bar(
                x=[shown],
                y=["rto_s"],
                orientation="h",
                name=key if math.isfinite(value) else f"{key} (+inf)",
                marker_color=STAGE_COLORS.get(key, OTHER_ROLE_COLOR),
                hovertemplate=f"{key}: "
                + (f"{value:.3f} s" if math.isfinite(value) else "+inf")
                + "<extra></extra>",
            )
        )
    title = (
        f"rto_s = {rto:.2f} s by stage"
        if math.isfinite(rto)
        else "rto_s = +inf: not recovered before the horizon (stages up to the last event)"
    )
    fig.update_layout(
        title=title, barmode="stack", xaxis_title="seconds", height=220, legend_traceorder="normal"
    )
    return fig
