"""Generate the preset atlas, docs/presets.md, from the simulator: for every catalog preset its
family, replication and key defaults, the failover band its notes derive from the vendor's
timers, and RTO p50 / p99, lost writes and split-brain probability over the standard suite.

    python scripts/preset_atlas.py [--seeds 200] [--workers 2] [--only NAME ...] [--refresh]

The figures go to docs/presets.json with the digests of the inputs they came from: the
preset's and the scenario's, and a fingerprint of the pair's golden run (tests/regression
pins seed 1 of every pair: its history digest and the metrics the atlas reads), which stands
for what the model and the checkers make of them. A pair whose three digests and seed count
are unchanged is reused, so editing one preset re-runs only that preset, and a model change
re-runs the pairs whose golden run it moved (refresh the golden runs first). `--refresh`
re-runs everything. tests/catalog/test_preset_atlas.py fails when the atlas is stale against
the catalog or the golden runs, without running anything.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import binomtest

import sim
from sim.runner import hasim_version, spec_digest
from sim.spec import Topology
from sim.sweep import run_seeds
from sim.units import format_duration

STANDARD_SUITE = ("primary-crash", "primary-isolated", "az-loss", "region-loss", "gray-latency")
REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
GOLDEN = REPO / "tests" / "regression" / "golden"
JSON_PATH = DOCS / "presets.json"
MD_PATH = DOCS / "presets.md"
# The metrics `summarize` reads from each run.
ATLAS_METRICS = ("rto_s", "rto_s_by_site", "rpo_s", "failovers", "lost_writes", "split_brain")
# The settings the atlas shows per family: the timers that decide failover time.
KEY_SETTINGS = {
    "lease": ("ttl", "loop_wait", "retry_timeout", "maximum_lag_on_failover"),
    "consensus": ("heartbeat", "election_timeout", "election_jitter", "check_quorum"),
    "observers": ("ping", "down_after", "quorum", "failover_timeout"),
    "manual": ("alert_delay", "response", "promotion"),
    "none": (),
}


def presets() -> list[str]:
    """The catalog topologies that carry notes: the presets the atlas describes."""
    return [n for n in sim.names("topologies") if sim.load_topology(n).spec.notes is not None]


def digests(name: str) -> dict[str, str]:
    """The digest of a preset and of each standard scenario: what its figures depend on. A
    preset's description, notes and prices are left out: the atlas's failover figures never
    read them, and the Markdown renders the first two from the files as they are, so editing
    them needs no re-run."""
    topology = sim.load_topology(name).spec
    unread = {"notes": None, "description": "", "cost": None}
    out = {"topology": spec_digest(topology.model_copy(update=unread))}
    for scenario in STANDARD_SUITE:
        out[scenario] = spec_digest(sim.load_scenario(scenario).spec)
    return out


def golden_fingerprint(name: str, scenario: str) -> str | None:
    """A digest of the pair's golden run (seed 1): its history and the metrics the atlas
    reads (not its prices, which the atlas leaves out as its digests do); None without one."""
    path = GOLDEN / f"{name}__{scenario}.json"
    if not path.exists():
        return None
    golden = json.loads(path.read_text())
    pinned = {k: golden["metrics"][k] for k in ATLAS_METRICS}
    pinned["history_digest"] = golden["history_digest"]
    return hashlib.sha256(json.dumps(pinned, sort_keys=True).encode()).hexdigest()


def _quantile(values: list[float], q: float) -> float:
    # inverted_cdf picks an observed value, so an inf (censored run) never becomes nan.
    return float(np.quantile(np.array(values), q, method="inverted_cdf"))


def _median_site(m: dict[str, Any]) -> float:
    """The RTO of the median client site (the lower median): where the worst site is cut off
    with the fault, this is what the clients on the majority's side saw."""
    sites = sorted(float(v) for v in m["rto_s_by_site"].values())
    return sites[(len(sites) - 1) // 2] if sites else float(m["rto_s"])


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The atlas's figures for one (preset, scenario) over its seeds."""
    rto = [float(m["rto_s"]) for m in rows]
    site = [_median_site(m) for m in rows]
    rpo = [float(m["rpo_s"]) for m in rows]
    lost = [int(m["lost_writes"]) for m in rows]
    brains = sum(1 for m in rows if m["split_brain"])
    ci = binomtest(brains, len(rows)).proportion_ci(confidence_level=0.95, method="exact")
    return {
        "runs": len(rows),
        "rto_p50_s": _quantile(rto, 0.5),
        "rto_p99_s": _quantile(rto, 0.99),
        "site_rto_p50_s": _quantile(site, 0.5),
        "site_rto_p99_s": _quantile(site, 0.99),
        "rpo_p99_s": _quantile(rpo, 0.99),
        "failovers_mean": float(np.mean([int(m["failovers"]) for m in rows])),
        "censored": sum(1 for r in rto if math.isinf(r)),
        "lost_writes_mean": float(np.mean(lost)),
        "lost_writes_max": max(lost),
        "runs_with_loss": sum(1 for n in lost if n > 0),
        "split_brain_runs": brains,
        "split_brain_ci": [float(ci.low), float(ci.high)],
    }


def compute(
    names: list[str],
    seeds: int,
    workers: int,
    refresh: bool,
    old: dict[str, Any],
    save: Callable[[dict[str, Any]], None] = lambda _: None,
) -> dict[str, Any]:
    """The figures of `names`, reusing `old` where the digests match; `save` gets the figures
    so far after every preset, so a run cut short keeps what it finished."""
    out: dict[str, Any] = {}
    for name in names:
        topology = sim.load_topology(name).spec
        dig = digests(name)
        prev = old.get(name, {})
        reuse = (
            not refresh and prev.get("digests", {}).get("topology") == dig["topology"]
        ) and prev.get("seeds") == seeds
        results: dict[str, Any] = {}
        for scenario_name in STANDARD_SUITE:
            stored = prev.get("results", {}).get(scenario_name, {})
            if (
                reuse
                and prev["digests"].get(scenario_name) == dig[scenario_name]
                and stored.get("golden") == golden_fingerprint(name, scenario_name)
            ):
                results[scenario_name] = stored
                continue
            t0 = time.monotonic()
            scenario = sim.load_scenario(scenario_name).spec
            rows = [r.metrics for r in run_seeds(topology, scenario, range(seeds), workers)]
            results[scenario_name] = summarize(rows)
            results[scenario_name]["golden"] = golden_fingerprint(name, scenario_name)
            print(f"{name} {scenario_name}: {time.monotonic() - t0:.0f} s", file=sys.stderr)
        out[name] = {"seeds": seeds, "digests": dig, "results": results}
        save(out)
    return out


def _fmt_s(seconds: float) -> str:
    return "never" if math.isinf(seconds) else format_duration(seconds)


def _setting(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return format_duration(value)
    if hasattr(value, "model_dump"):
        dumped = value.model_dump()
        return ", ".join(f"{k} {format_duration(v)}" for k, v in dumped.items())
    return str(value)


def _defaults(t: Topology) -> str:
    fo = t.failover
    parts = [f"{k} {_setting(getattr(fo, k))}" for k in KEY_SETTINGS[fo.family]]
    rep = t.replication
    parts += [
        f"{k} {_setting(v)}" for k, v in rep.model_dump().items() if k not in ("mode", "conflict")
    ]
    return "; ".join(parts) or "—"


def _brain(r: dict[str, Any]) -> str:
    share = r["split_brain_runs"] / r["runs"]
    return f"{share:.0%} (≤ {r['split_brain_ci'][1]:.1%})"


def render(data: dict[str, Any]) -> str:
    """The atlas as Markdown, from the stored figures and the presets' own notes."""
    names = sorted(data)
    seeds = sorted({data[n]["seeds"] for n in names})
    lines = [
        "# Preset atlas",
        "",
        "<!-- Generated by scripts/preset_atlas.py from the simulator: do not edit by hand. -->",
        "",
        "Every catalog preset, its failover family, replication and key defaults, the failover",
        "band its documented timers imply, and what the simulator measures over the standard",
        f"suite ({', '.join(STANDARD_SUITE)}), {' / '.join(map(str, seeds))} seeds each.",
        "",
        "- **RTO**: time from the fault to the ack of the first write that survives, after which",
        "  every write for 5 s is acknowledged within 1 s and survives; the worst client site.",
        "  *never*: the run did not recover before the end of the observation window (censored).",
        "- **median site**: the same for the median client site; when the fault cuts the worst",
        "  site off (primary-isolated), this is what the clients on the majority's side saw.",
        "- **RPO p99**: span of acknowledged writes lost, 99th percentile over the seeds.",
        "- **lost writes**: acknowledged probe writes absent from the final read (mean, max).",
        "- **failovers**: promotions per run (mean); on gray-latency, any is a false one.",
        "- **split brain**: share of runs in which nodes on different histories both acknowledged",
        "  writes, with the upper end of its exact 95 % interval.",
        "",
        "| preset | family | replication | failover band | " + " | ".join(STANDARD_SUITE) + " |",
        "|---|---|---|---|" + "---|" * len(STANDARD_SUITE),
    ]
    for name in names:
        t = sim.load_topology(name).spec
        assert t.notes is not None
        band = t.notes.failover
        cells = [
            f"[{name}](#{name})",
            t.failover.family,
            t.replication.mode,
            "—" if band is None else f"{_fmt_s(band.low)}–{_fmt_s(band.high)}",
        ]
        for scenario in STANDARD_SUITE:
            r = data[name]["results"][scenario]
            cells.append(
                f"RTO {_fmt_s(r['rto_p50_s'])} / {_fmt_s(r['rto_p99_s'])} "
                f"(median site {_fmt_s(r['site_rto_p50_s'])}); "
                f"lost {r['lost_writes_mean']:.1f}; brain {_brain(r)}"
            )
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "RTO cells read p50 / p99.", ""]
    for name in names:
        t = sim.load_topology(name).spec
        assert t.notes is not None
        lines += [f"## {name}", "", t.description.strip(), ""]
        lines.append(
            f"- failover family: `{t.failover.family}`; replication: `{t.replication.mode}`"
        )
        lines.append(f"- key defaults: {_defaults(t)}")
        band = t.notes.failover
        if band is None:
            lines.append("- failover band: none (no node is promoted)")
        else:
            lines.append(
                f"- failover band: {_fmt_s(band.low)}–{_fmt_s(band.high)}: "
                + " ".join(band.arithmetic.split())
            )
        lines.append("- sources: " + "; ".join(t.notes.sources))
        lines.append(
            "- not modelled: " + "; ".join(" ".join(x.split()) for x in t.notes.not_modelled)
        )
        lines += [
            "",
            "| scenario | RTO p50 | RTO p99 | median site p50 / p99 | censored | RPO p99 "
            "| lost writes (mean, max) | runs with loss | failovers | split brain |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for scenario in STANDARD_SUITE:
            r = data[name]["results"][scenario]
            lines.append(
                f"| {scenario} | {_fmt_s(r['rto_p50_s'])} | {_fmt_s(r['rto_p99_s'])} "
                f"| {_fmt_s(r['site_rto_p50_s'])} / {_fmt_s(r['site_rto_p99_s'])} "
                f"| {r['censored']}/{r['runs']} | {_fmt_s(r['rpo_p99_s'])} "
                f"| {r['lost_writes_mean']:.1f}, {r['lost_writes_max']} "
                f"| {r['runs_with_loss']}/{r['runs']} | {r['failovers_mean']:.2f} | {_brain(r)} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="re-run only these presets")
    parser.add_argument("--refresh", action="store_true", help="ignore stored figures")
    args = parser.parse_args()
    old = json.loads(JSON_PATH.read_text()) if JSON_PATH.exists() else {}
    old_presets = old.get("presets", {})
    names = presets()
    todo = args.only if args.only else names

    def merge(fresh: dict[str, Any]) -> dict[str, Any]:
        return {n: v for n in names if (v := fresh.get(n, old_presets.get(n))) is not None}

    def save(fresh: dict[str, Any]) -> None:
        DOCS.mkdir(exist_ok=True)
        payload = {"hasim_version": hasim_version(), "suite": list(STANDARD_SUITE)}
        payload["presets"] = merge(fresh)
        JSON_PATH.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")

    merged = merge(compute(todo, args.seeds, args.workers, args.refresh, old_presets, save))
    missing = sorted(set(names) - set(merged))
    if missing:
        print(f"no figures yet for {', '.join(missing)}: run without --only", file=sys.stderr)
        return 1
    MD_PATH.write_text(render(merged) + "\n")
    print(f"wrote {MD_PATH} and {JSON_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
