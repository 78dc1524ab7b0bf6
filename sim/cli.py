"""The `hasim` command line: run one incident, list the catalog, write the file formats' schema.

Usage:

    hasim run TOPOLOGY SCENARIO [--seed N] [--json]
        One run of a scenario against a topology (each a path to a YAML file or a catalog
        name, see `hasim list`): a readable summary, or one JSON object with the metrics,
        the run's provenance and the topology's warnings.
    hasim validate TOPOLOGY --scenario S --rto 30s [--rpo 0] [--fraction 0.99]
                   [--confidence 0.95] [--runs N] [--workers K] [--json]
        Does the target hold in at least that fraction of incidents? Exit 0 when the exact
        one-sided lower bound on the share of runs that meet it is at least the fraction,
        1 when the upper bound is below it, 3 when the runs cannot tell yet (it prints how
        many more would be needed).
    hasim sweep TOPOLOGY SCENARIO --runs N [--param KEY=V1,V2,...]... [--workers K] [--json]
        Many seeds (the same for every variant of the parameter grid: common random
        numbers), and per variant the mean, p50, p90, p99 and max of every metric with 95 %
        confidence intervals, and the paired difference from the first variant.
    hasim compare T1 T2 ... --scenario S [--runs N] [--workers K] [--json]
        Several topologies under one scenario, seeds 0..N-1 each (the same seeds for all):
        side by side, RTO and RPO percentiles, lost and discarded writes, restores, and each
        topology's monthly cost from the prices in its file.
    hasim list
        The catalog's topologies and scenarios.
    hasim schema [--out DIR]
        Write DIR/topology.schema.json and DIR/scenario.schema.json (default DIR: ./schema),
        for editors that validate YAML against a JSON Schema.
    hasim --version

Exit codes: 0 success; 2 bad input (a file, a field, an unknown name or a bad option), shown
as one `error:` message naming the file, line and fix, never a traceback.

Why argparse and lazy imports: the command must start fast and run where only the engine's
own dependencies are installed, so nothing here imports the dashboard's libraries, and the
simulation is imported only by the commands that run it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sim.errors import InputError

if TYPE_CHECKING:
    from sim.runner import RunResult

# DESIGN.md: RTO and RPO are confused words, so every place that shows them defines them.
RTO_DEF = (
    "time from the fault to the ack of the first write that survives, after which every "
    "write for stable_s is acknowledged within slow_s and survives"
)
READ_RTO_DEF = "the same for reads; a read of data later discarded is not a success"
RPO_DEF = (
    "span of time whose acknowledged writes were lost: from the last write both the lost and "
    "the surviving history hold to the ack of the last lost write"
)
RPO_BYTES_DEF = "log bytes acknowledged on a discarded history"
CENSORED = "no recovery before the run ended"

DEFAULT_SEED = 1

_SWEEP_EPILOG = f"""\
example:
  hasim sweep my-cluster.yaml primary-crash --runs 100 --param failover.ttl=20s,30s
metrics:
  RTO  {RTO_DEF}; "inf" means censored: {CENSORED}
  RPO  {RPO_DEF}
"""

_VALIDATE_EPILOG = f"""\
exit codes:
  0  holds: the lower bound is at least the fraction
  1  fails: the upper bound is below the fraction
  3  undecided: the runs cannot tell yet (the output says how many more would be needed)
  2  bad input
metrics:
  RTO  {RTO_DEF}
  RPO  {RPO_DEF}
"""

_COMPARE_EPILOG = f"""\
example:
  hasim compare nightly-full.yaml pitr.yaml --scenario cluster-loss
exit codes:
  0  the table was printed
  2  bad input (a file, an unknown name, a scenario a topology cannot run)
metrics:
  RTO  {RTO_DEF}; "inf" means censored: {CENSORED}
  RPO  {RPO_DEF}
  discarded  lost writes a restore left out by choice (past its recovery target, though
             the backups held them)
  cost  monthly bill from the list prices in the topology file (US dollars)
"""

_RUN_EPILOG = f"""\
metrics:
  RTO  {RTO_DEF}; "inf" means censored: {CENSORED}
  read RTO  {READ_RTO_DEF}
  RPO  {RPO_DEF}; 0 when none was lost
"""


def _version() -> str:
    try:
        return version("hasim")
    except PackageNotFoundError:
        return "unknown"


def _seed(text: str) -> int:
    """A run's seed from the command line: a non-negative integer."""
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if seed < 0:
        raise argparse.ArgumentTypeError(f"{seed} is negative: seeds are 0 or more")
    return seed


def _target_duration(text: str) -> float:
    """A target duration: with a unit (`30s`, `5m`), or a bare 0."""
    from sim.units import parse_duration

    try:
        return parse_duration(0 if text.strip() in ("0", "0.0") else text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _share(open_high: bool) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (0.0 < value < 1.0 or (value == 1.0 and not open_high)):
            upper = "below 1" if open_high else "at most 1"
            raise argparse.ArgumentTypeError(f"{value} must be above 0 and {upper}")
        return value

    return parse


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return value


def _executor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="local: a process pool on this machine (default); dask: the workers of a Dask "
        "distributed cluster (same seeds, same results)",
    )
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="the Dask scheduler, e.g. tcp://10.0.0.5:8786"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `hasim` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="hasim",
        description="Simulate database high-availability topologies: achieved RTO, RPO, "
        "lost writes.",
    )
    parser.add_argument("--version", action="version", version=f"hasim {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="one run of a scenario against a topology",
        description="One run of SCENARIO against TOPOLOGY: recovery time (RTO), data loss "
        "(RPO), lost writes and where the recovery time went.",
        epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("topology", metavar="TOPOLOGY", help="a topology file or catalog name")
    run.add_argument("scenario", metavar="SCENARIO", help="a scenario file or catalog name")
    run.add_argument(
        "--seed",
        type=_seed,
        default=DEFAULT_SEED,
        help=f"the run's seed; the same seed gives the same run (default {DEFAULT_SEED})",
    )
    run.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object: metrics, provenance, warnings (+inf written as "inf")',
    )
    run.add_argument(
        "--no-fast-forward",
        action="store_true",
        help="with random failure profiles: simulate the quiet time between incident windows "
        "too, every heartbeat and probe (the same windows record the same history; slow)",
    )
    run.set_defaults(handler=_cmd_run)

    check = sub.add_parser(
        "validate",
        help="does an RTO / RPO target hold in a fraction of incidents, with confidence",
        description="Run SCENARIO against TOPOLOGY for many seeds and judge whether the "
        "target holds in at least FRACTION of incidents, with an exact (Clopper-Pearson) "
        "one-sided bound at CONFIDENCE. A run that never recovered counts as a miss.",
        epilog=_VALIDATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("topology", metavar="TOPOLOGY", help="a topology file or catalog name")
    check.add_argument(
        "--scenario", required=True, metavar="S", help="a scenario file or catalog name"
    )
    check.add_argument(
        "--rto",
        type=_target_duration,
        help="the RTO target, e.g. 30s (default: the scenario's `targets.rto`)",
    )
    check.add_argument(
        "--rpo",
        type=_target_duration,
        help="the RPO target, e.g. 0 or 5s (default: the scenario's `targets.rpo`, or none)",
    )
    check.add_argument(
        "--fraction",
        type=_share(open_high=False),
        help="share of incidents that must meet the target (default: the scenario's, or 0.99)",
    )
    check.add_argument(
        "--confidence",
        type=_share(open_high=True),
        help="confidence of the bound (default: the scenario's, or 0.95)",
    )
    check.add_argument(
        "--runs",
        type=_count,
        help="seeds 0..N-1 (default: the fewest that could show the fraction, e.g. 299 "
        "for 0.99 at 95 %%)",
    )
    check.add_argument("--workers", type=_count, help="processes (default: every core)")
    _executor_options(check)
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument(
        "--no-store",
        action="store_true",
        help="neither read nor write the results store ($HASIM_RESULTS, default "
        "~/.cache/hasim/results.duckdb): run every seed",
    )
    check.set_defaults(handler=_cmd_validate)

    sweep = sub.add_parser(
        "sweep",
        help="many seeds and a parameter grid: percentiles with confidence intervals",
        description="Run SCENARIO against TOPOLOGY for seeds 0..N-1, for every combination "
        "of the --param values (each variant on the same seeds, so that differences are not "
        "noise), and report the distribution of every metric with 95 %% confidence "
        "intervals: exact order-statistic intervals for percentiles, BCa bootstrap for means.",
        epilog=_SWEEP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep.add_argument("topology", metavar="TOPOLOGY", help="a topology file or catalog name")
    sweep.add_argument("scenario", metavar="SCENARIO", help="a scenario file or catalog name")
    sweep.add_argument("--runs", type=_count, required=True, help="seeds 0..N-1 per variant")
    sweep.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a field by its dotted path and the values to try, as written in the file "
        "(e.g. failover.ttl=20s,30s; scenario.faults.0.duration=1m,3m); repeatable",
    )
    sweep.add_argument("--workers", type=_count, help="processes (default: every core)")
    _executor_options(sweep)
    sweep.add_argument("--json", action="store_true", help="print the figures as JSON")
    sweep.add_argument(
        "--no-store", action="store_true", help="neither read nor write the results store"
    )
    sweep.set_defaults(handler=_cmd_sweep)

    compare = sub.add_parser(
        "compare",
        help="several topologies under one scenario, side by side, with their monthly cost",
        description="Run SCENARIO against each TOPOLOGY for seeds 0..N-1 (the same seeds for "
        "every topology) and print them side by side: RTO and RPO percentiles, lost and "
        "discarded writes, restores, and the monthly cost from each file's prices.",
        epilog=_COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument(
        "topologies", nargs="+", metavar="TOPOLOGY", help="topology files or catalog names"
    )
    compare.add_argument(
        "--scenario", required=True, metavar="S", help="a scenario file or catalog name"
    )
    compare.add_argument(
        "--runs", type=_count, default=10, help="seeds 0..N-1 per topology (default 10)"
    )
    compare.add_argument("--workers", type=_count, help="processes (default: every core)")
    compare.add_argument("--json", action="store_true", help="print the table as JSON")
    compare.add_argument(
        "--no-store", action="store_true", help="neither read nor write the results store"
    )
    compare.set_defaults(handler=_cmd_compare)

    listing = sub.add_parser("list", help="the catalog's topologies and scenarios")
    listing.set_defaults(handler=_cmd_list)

    schema = sub.add_parser("schema", help="write the JSON Schema of the file formats")
    schema.add_argument(
        "--out",
        type=Path,
        default=Path("schema"),
        help="folder for topology.schema.json and scenario.schema.json (default ./schema)",
    )
    schema.set_defaults(handler=_cmd_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The `hasim` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args, sys.stdout))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Why: `hasim run ... | head` closes the pipe early; that is not an error worth a
        # traceback, and Python would print one again at exit while flushing stdout.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    # Why lazily: the engine (simpy, numpy, networkx) is needed by this command only.
    from sim.catalog import load_scenario, load_topology
    from sim.faults import check_targets
    from sim.runner import run

    topology = load_topology(args.topology)
    scenario = load_scenario(args.scenario)
    check_targets(topology.spec, scenario.spec, scenario.lines)
    for warning in topology.spec.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    result = run(topology.spec, scenario.spec, args.seed, full=args.no_fast_forward)
    if args.json:
        out.write(run_json(result) + "\n")
    else:
        out.write(summary(result))
    return 0


def _cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    from sim.catalog import load_scenario, load_topology
    from sim.faults import check_targets
    from sim.sweep import run_seeds
    from sim.targets import runs_needed, validate

    topology = load_topology(args.topology)
    scenario = load_scenario(args.scenario)
    check_targets(topology.spec, scenario.spec, scenario.lines)
    target = cli_target(args, scenario.spec, str(scenario.path))
    if args.runs is None and target.fraction >= 1.0:
        raise InputError(
            "no number of runs can show that a target holds in every incident",
            field="--fraction",
            fix="give a fraction below 1 (e.g. 0.99), or --runs to see how often it holds",
        )
    runs = args.runs or runs_needed(target.fraction, target.confidence)
    with (
        executor(args) as (pool, workers),
        results_store(args.no_store) as store,
        progress_bar(runs, "runs") as advance,
    ):
        results = run_seeds(
            topology.spec, scenario.spec, range(runs), workers, advance, store, pool
        )
    verdict = validate(target, ((r.seed, r.metrics) for r in results))
    rtos = [float(r.metrics["rto_s"]) for r in results]
    if args.json:
        payload = {
            "topology": topology.spec.name,
            "scenario": scenario.spec.name,
            "target": vars(target),
            "runs": verdict.runs,
            "met": verdict.hits,
            "bounds": [verdict.low, verdict.high],
            "verdict": verdict.verdict,
            "more_runs": verdict.more_runs,
            "misses": verdict.misses,
            "exit_code": verdict.exit_code,
        }
        out.write(json.dumps(jsonable(payload), indent=2, allow_nan=False) + "\n")
    else:
        policy = scenario.spec.targets
        if policy is not None and args.rto is None:
            out.write(f"targets from {scenario.path} (disruption: {policy.disruption})\n")
        out.write(validation_report(topology.spec.name, scenario.spec.name, verdict, rtos))
    return verdict.exit_code


# The metrics a sweep's text report shows (the JSON has every numeric one).
SWEEP_METRICS = (
    ("rto_s", "RTO"),
    ("read_rto_s", "read RTO"),
    ("rpo_s", "RPO"),
    ("lost_writes", "lost writes"),
    ("split_brain_s", "split brain"),
    ("failovers", "failovers"),
    ("false_failovers", "false failovers"),
)
_SECONDS = {"rto_s", "read_rto_s", "rpo_s", "split_brain_s"}


def _cmd_sweep(args: argparse.Namespace, out: TextIO) -> int:
    from sim.catalog import load_scenario, load_topology
    from sim.faults import check_targets
    from sim.grid import parse_param, variants
    from sim.sweep import run_seeds

    topology = load_topology(args.topology)
    scenario = load_scenario(args.scenario)
    check_targets(topology.spec, scenario.spec, scenario.lines)
    grid = variants(topology, scenario, [parse_param(p) for p in args.param])
    for v in grid:
        check_targets(v.topology, v.scenario, None)
    runs: list[list[dict[str, Any]]] = []
    with (
        executor(args) as (pool, workers),
        results_store(args.no_store) as store,
        progress_bar(args.runs * len(grid), "runs") as advance,
    ):
        for i, v in enumerate(grid):
            step = None if advance is None else _offset(advance, i * args.runs)
            results = run_seeds(
                v.topology, v.scenario, range(args.runs), workers, step, store, pool
            )
            runs.append([r.metrics for r in results])
    figures = sweep_figures(grid, runs)
    if args.json:
        payload = {
            "topology": topology.spec.name,
            "scenario": scenario.spec.name,
            "seeds": [0, args.runs - 1],
            **figures,
        }
        out.write(json.dumps(jsonable(payload), indent=2, allow_nan=False) + "\n")
    else:
        out.write(sweep_report(topology.spec.name, scenario.spec.name, args.runs, figures))
    return 0


def _cmd_compare(args: argparse.Namespace, out: TextIO) -> int:
    from sim.catalog import load_scenario, load_topology
    from sim.compare import summary_rows
    from sim.faults import check_targets
    from sim.sweep import run_seeds

    scenario = load_scenario(args.scenario)
    topologies = [load_topology(t) for t in args.topologies]
    names = [t.spec.name for t in topologies]
    if len(set(names)) != len(names):
        raise InputError(
            "a topology is named twice",
            field="TOPOLOGY",
            fix="give each topology once (files are told apart by their `name:`)",
        )
    for topology in topologies:
        check_targets(topology.spec, scenario.spec, scenario.lines)
    results: dict[str, list[dict[str, Any]]] = {}
    with (
        results_store(args.no_store) as store,
        progress_bar(args.runs * len(topologies), "runs") as advance,
    ):
        for i, topology in enumerate(topologies):
            step = None if advance is None else _offset(advance, i * args.runs)
            runs = run_seeds(
                topology.spec, scenario.spec, range(args.runs), args.workers, step, store
            )
            results[topology.spec.name] = [r.metrics for r in runs]
    rows = summary_rows(results)
    if args.json:
        payload = {
            "scenario": scenario.spec.name,
            "seeds": [0, args.runs - 1],
            "topologies": rows,
            "definitions": {"rto_s": RTO_DEF, "rpo_s": RPO_DEF},
        }
        out.write(json.dumps(jsonable(payload), indent=2, allow_nan=False) + "\n")
    else:
        out.write(compare_report(scenario.spec.name, args.runs, rows))
    return 0


def compare_report(scenario: str, runs: int, rows: list[dict[str, Any]]) -> str:
    """The side-by-side table of `hasim compare`, each RTO and RPO with its definition."""

    from sim.units import format_duration

    def cell(value: float, seconds: bool = True) -> str:
        if math.isnan(value):
            return "-"
        if math.isinf(value):
            return "inf"
        return format_duration(value) if seconds else f"{value:.1f}"

    def money(value: float) -> str:
        return "-" if math.isnan(value) else f"${value:,.0f}"

    columns = (
        ("RTO p50", lambda r: cell(r["rto_s_p50"])),
        ("RTO p90", lambda r: cell(r["rto_s_p90"])),
        ("RPO p50", lambda r: cell(r["rpo_s_p50"])),
        ("RPO p99", lambda r: cell(r["rpo_s_p99"])),
        ("lost", lambda r: cell(r["lost_writes_mean"], seconds=False)),
        ("discarded", lambda r: cell(r["discarded_writes_mean"], seconds=False)),
        ("restore p50", lambda r: cell(r["restore_s_p50"])),
        ("censored", lambda r: f"{r['censored_fraction']:.0%}"),
        ("cost/month", lambda r: money(r["cost_month_usd"])),
    )
    width = max([len(r["topology"]) for r in rows] + [8])
    head = f"  {'topology':<{width}}" + "".join(f"{name:>13}" for name, _ in columns)
    lines = [
        f"compare on {scenario}: {runs} runs per topology, seeds 0-{runs - 1} for each "
        "(the same seeds for every topology)",
        "",
        head,
    ]
    for r in rows:
        lines.append(f"  {r['topology']:<{width}}" + "".join(f"{f(r):>13}" for _, f in columns))
    first = rows[0]
    lines.append("")
    for r in rows[1:]:
        extra = r["cost_month_usd"] - first["cost_month_usd"]
        if not math.isnan(extra):
            lines.append(
                f"  {r['topology']} costs {money(abs(extra))} a month "
                f"{'more' if extra >= 0 else 'less'} than {first['topology']}, for an RPO p50 "
                f"of {cell(r['rpo_s_p50'])} instead of {cell(first['rpo_s_p50'])} and an RTO "
                f"p50 of {cell(r['rto_s_p50'])} instead of {cell(first['rto_s_p50'])}"
            )
    lines += [
        "",
        f"RTO  {RTO_DEF}",
        f"RPO  {RPO_DEF}",
        "lost: mean acknowledged writes absent at the end; discarded: mean lost writes a "
        "restore left out by choice (past its recovery target, though the backups held them)",
        "restore p50: median length of a restore, over the runs that restored; censored: runs "
        "that never recovered (RTO inf)",
        "cost/month: from the list prices in each topology file (US dollars): instances, "
        "volumes, backup storage with its retention, traffic between zones and regions",
        "",
    ]
    return "\n".join(lines)


def _offset(advance: Any, base: int) -> Any:
    return lambda done, _total: advance(base + done, None)


def sweep_figures(grid: list[Any], runs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Per variant, every numeric metric described with intervals; per later variant, the
    paired difference from the first."""
    from dataclasses import asdict

    from sim.annual import annual
    from sim.stats import describe, paired_difference

    def numeric(rows: list[dict[str, Any]]) -> dict[str, list[float]]:
        keys = [
            k for k, v in rows[0].items() if isinstance(v, int | float) and not isinstance(v, bool)
        ]
        return {k: [float(r[k]) for r in rows] for k in keys}

    columns = [numeric(rows) for rows in runs]
    out: dict[str, Any] = {"variants": []}
    for v, rows, cols in zip(grid, runs, columns, strict=True):
        entry = {
            "settings": dict(v.settings),
            "runs": len(rows),
            "censored": sum(1 for x in cols["rto_s"] if math.isinf(x)),
            "metrics": {
                k: {s: asdict(e) for s, e in describe(xs).items()} for k, xs in cols.items()
            },
        }
        if v.scenario.recurring:
            entry["per_year"] = asdict(annual(rows, v.scenario.duration))
        if v is not grid[0]:
            diffs = {}
            for k, xs in cols.items():
                est, pairs = paired_difference(columns[0][k], xs)
                diffs[k] = {**asdict(est), "pairs": pairs}
            entry["difference_from_first"] = diffs
        out["variants"].append(entry)
    return out


def sweep_report(topology: str, scenario: str, runs: int, figures: dict[str, Any]) -> str:
    def fmt(key: str, x: float) -> str:
        if math.isnan(x):
            return "-"
        if math.isinf(x):
            return "unbounded" if x > 0 else "-inf"
        return _duration(x) if key in _SECONDS else f"{x:.3g}"

    def cell(key: str, e: dict[str, float]) -> str:
        if e["low"] == e["high"] == e["value"]:
            return fmt(key, e["value"])
        return f"{fmt(key, e['value'])} [{fmt(key, e['low'])}, {fmt(key, e['high'])}]"

    lines = [
        f"{topology} on {scenario}: {runs} runs per variant, seeds 0-{runs - 1} for each "
        "(common random numbers)",
        "each cell: estimate [95% confidence interval]; percentiles by exact order "
        "statistics, means by BCa bootstrap",
        "",
    ]
    for entry in figures["variants"]:
        label = ", ".join(f"{k}={v}" for k, v in entry["settings"].items()) or "as in the files"
        lines.append(f"variant: {label}    (censored runs: {entry['censored']})")
        head = f"  {'metric':<16}" + "".join(f"{s:<30}" for s in ("mean", "p50", "p90", "p99"))
        lines.append(head + "max")
        for key, name in SWEEP_METRICS:
            if key not in entry["metrics"]:
                continue
            d = entry["metrics"][key]
            row = f"  {name:<16}" + "".join(
                f"{cell(key, d[s]):<30}" for s in ("mean", "p50", "p90", "p99")
            )
            lines.append(row + fmt(key, d["max"]["value"]))
        if "per_year" in entry:
            lines += _per_year_lines(entry["per_year"])
        diffs = entry.get("difference_from_first")
        if diffs:
            first = ", ".join(f"{k}={v}" for k, v in figures["variants"][0]["settings"].items())
            lines.append(f"  minus {first}, seed by seed (mean [95% CI], finite pairs):")
            for key, name in SWEEP_METRICS:
                if key in diffs:
                    d = diffs[key]
                    lines.append(f"    {name:<16} {cell(key, d):<38} {d['pairs']} pairs")
        lines.append("")
    lines += [f"RTO  {RTO_DEF}", f"RPO  {RPO_DEF}", ""]
    return "\n".join(lines)


def _per_year_lines(y: dict[str, Any]) -> list[str]:
    """The year-scale figures of a sweep over random failure profiles."""

    def ci(e: dict[str, float], fmt: Callable[[float], str]) -> str:
        return f"{fmt(e['value'])} [{fmt(e['low'])}, {fmt(e['high'])}]"

    def pct(x: float) -> str:
        return f"{x:.5%}"

    def num(x: float) -> str:
        return "all" if math.isinf(x) else f"{x:.2f}"

    return [
        f"  over a year ({y['observed_years']:.2f} cluster-years simulated in all):",
        f"    availability      {ci(y['availability'], pct)}   (writes succeed at every site)",
        f"    nines             {ci(y['nines'], num)}",
        f"    downtime / year   {ci(y['downtime_per_year_s'], _duration)}",
        f"    incidents / year  {ci(y['incidents_per_year'], num)}",
        f"    P(any acknowledged write lost in a year)  {ci(y['p_data_loss_per_year'], num)}",
    ]


def cli_target(args: argparse.Namespace, scenario: Any, file: str) -> Any:
    """The target from the options, each missing one from the scenario's `targets:`."""
    from sim.targets import Target

    policy = scenario.targets
    if args.rto is None and policy is None:
        raise InputError(
            "no RTO target: neither --rto nor the scenario's `targets:` gives one",
            file=file,
            field="targets",
            fix="pass --rto 30s, or add `targets: {disruption: az, rto: 30s, rpo: 0}` "
            "to the scenario",
        )

    def pick(option: Any, field: str, default: Any) -> Any:
        if option is not None:
            return option
        return getattr(policy, field) if policy is not None else default

    return Target(
        pick(args.rto, "rto", None),
        pick(args.rpo, "rpo", None),
        pick(args.fraction, "fraction", 0.99),
        pick(args.confidence, "confidence", 0.95),
    )


def validation_report(topology: str, scenario: str, v: Any, rtos: list[float]) -> str:
    """A verdict as text: the target, the bounds, the verdict and a table of why runs missed."""
    import numpy as np

    t = v.target
    conf = f"{t.confidence:.0%}"
    goal = f"RTO <= {_duration(t.rto_s)}"
    if t.rpo_s is not None:
        goal += f" and RPO <= {_duration(t.rpo_s)}"
    lines = [
        f"{topology} on {scenario}: {goal} in at least {t.fraction:.2%} of incidents, "
        f"at {conf} confidence",
        "",
        f"  runs {v.runs}, met {v.hits} ({v.hits / v.runs:.2%})",
        f"  share that meets it: {v.low:.4f} or more, {v.high:.4f} or less "
        f"(exact one-sided bounds, each at {conf})",
        f"  RTO over the runs: p50 {_duration(float(np.median(rtos)))}, "
        f"p99 {_duration(float(np.quantile(rtos, 0.99, method='inverted_cdf')))}, "
        f"max {_duration(max(rtos))}",
        "",
    ]
    if v.verdict == "holds":
        lines.append(f"HOLDS: the lower bound {v.low:.4f} is at least {t.fraction} (exit 0)")
    elif v.verdict == "fails":
        lines.append(f"FAILS: the upper bound {v.high:.4f} is below {t.fraction} (exit 1)")
    else:
        more = (
            f"{v.more_runs} more runs, every one meeting the target, would show it holds"
            if v.more_runs is not None
            else "no number of runs shows a fraction of 1"
        )
        lines.append(f"UNDECIDED: {v.low:.4f} < {t.fraction} <= {v.high:.4f}; {more} (exit 3)")
    why = {
        "rto": f"RTO over {_duration(t.rto_s)}",
        "rpo": f"RPO over {_duration(t.rpo_s or 0.0)}",
        "censored": "censored (never recovered)",
    }
    lines += ["", "  why runs missed                        runs  seeds"]
    for reason, label in why.items():
        if reason == "rpo" and t.rpo_s is None:
            continue
        seeds = v.misses[reason]
        shown = ", ".join(map(str, seeds[:8])) + (", ..." if len(seeds) > 8 else "")
        lines.append(f"  {label:<38} {len(seeds):>4}  {shown}".rstrip())
    lines += ["", f"RTO  {RTO_DEF}", f"RPO  {RPO_DEF}", ""]
    return "\n".join(lines)


def results_store(off: bool) -> Any:
    """The default results store as a context manager (None with `off`)."""
    from contextlib import nullcontext

    if off:
        return nullcontext(None)
    import duckdb

    from sim.results import ResultsStore, default_path

    path = default_path()
    try:
        return ResultsStore(path)
    except (OSError, duckdb.Error) as exc:
        raise InputError(
            f"cannot open the results store ({exc})",
            file=str(path),
            fix="set HASIM_RESULTS to a file you can write, or pass --no-store",
        ) from None


def executor(args: argparse.Namespace) -> Any:
    """A context manager giving (executor or None, workers) for `--executor`."""
    from contextlib import contextmanager

    @contextmanager
    def pool() -> Any:
        if args.executor == "local":
            if args.scheduler:
                raise InputError(
                    "--scheduler is for a Dask cluster",
                    field="--scheduler",
                    fix="add --executor dask, or drop --scheduler",
                )
            yield None, args.workers
            return
        if not args.scheduler:
            raise InputError(
                "--executor dask needs the scheduler's address",
                field="--scheduler",
                fix="add --scheduler tcp://HOST:8786",
            )
        from sim.sweep import dask_executor

        ex, slots, close = dask_executor(args.scheduler)
        try:
            yield ex, args.workers or slots
        finally:
            close()

    return pool()


def progress_bar(total: int, unit: str) -> Any:
    """A context manager giving `advance(done, total)`: a progress bar with the time left on
    stderr when it is a terminal, nothing otherwise."""
    from contextlib import contextmanager

    @contextmanager
    def bar() -> Any:
        if not sys.stderr.isatty():
            yield None
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn(unit),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task(unit, total=total)
            yield lambda done, _total: progress.update(task, completed=done)

    return bar()


def _cmd_list(args: argparse.Namespace, out: TextIO) -> int:
    from sim.catalog import names

    for kind in ("topologies", "scenarios"):
        out.write(f"{kind}:\n")
        for name in names(kind):
            out.write(f"  {name}\n")
    return 0


def schema_texts() -> dict[str, str]:
    """The JSON Schema of each file format, as the text of its file, by file name."""
    from sim.spec import Scenario, Topology

    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True)
        + "\n"
        for name, model in (("topology", Topology), ("scenario", Scenario))
    }


def _cmd_schema(args: argparse.Namespace, out: TextIO) -> int:
    folder: Path = args.out
    for name, text in schema_texts().items():
        path = folder / name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot write the schema ({exc.strerror})",
                file=str(path),
                fix="give --out a folder you can write to",
            ) from None
        out.write(f"wrote {path}\n")
    return 0


def jsonable(value: Any) -> Any:
    """`value` with every non-finite float as a string ("inf", "-inf", "nan"), so that the
    JSON is valid for every parser, not only Python's."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else str(float(value))
    if hasattr(value, "item"):  # a numpy scalar
        return jsonable(value.item())
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def run_json(result: RunResult) -> str:
    """One run as a JSON object: metrics, provenance and warnings."""
    payload = {
        "metrics": result.metrics,
        "provenance": result.provenance(),
        "warnings": list(result.warnings),
    }
    return json.dumps(jsonable(payload), indent=2, allow_nan=False)


def _duration(seconds: float) -> str:
    from sim.units import format_duration

    if math.isinf(seconds) and seconds > 0:
        return "inf (censored)"
    return format_duration(seconds)


def summary(result: RunResult) -> str:
    """One run as a readable report, each RTO and RPO with its definition beside it."""
    from sim.checkers import dark_sites
    from sim.units import format_duration, format_size

    m = result.metrics
    p = result.provenance()
    lines = [
        f"topology {p['topology']}  scenario {p['scenario']}  seed {p['seed']}",
        "",
        "Recovery time",
        _row("RTO (writes)", _duration(m["rto_s"]), RTO_DEF),
    ]
    lines += _site_rows({f"region {r}": v for r, v in m["rto_s_by_region"].items()}, m["rto_s"])
    lines += _site_rows({f"zone {z}": v for z, v in m["rto_s_by_site"].items()}, m["rto_s"])
    dark = dark_sites(result.history)
    if dark:
        lines.append(
            f"  no witness in {', '.join(sorted(dark))}: every client host there lost power"
        )
    lines.append(_row("RTO (reads)", _duration(m["read_rto_s"]), READ_RTO_DEF))
    lines += _site_rows(
        {f"zone {z}": v for z, v in m["read_rto_s_by_site"].items()}, m["read_rto_s"]
    )
    lines.append(
        _row(
            "availability",
            f"{m['availability']:.4%}",
            f"writes up at every site for this share of the window; down "
            f"{format_duration(m['downtime_s'])} in all, by the RTO's rule after every incident",
        )
    )
    scenario = result.scenario
    if scenario.recurring:
        from sim.annual import YEAR_S, nines

        per_year = YEAR_S / scenario.duration
        skipped = sum(b - a for a, b in result.history.meta["skipped"])
        lines += [
            _row(
                "incidents",
                str(m["incidents"]),
                f"{m['incidents'] * per_year:.1f} a year; "
                f"{format_duration(m['downtime_s'] * per_year)} down a year; "
                f"{nines(m['availability']):.2f} nines (the RTO above is the worst incident's)",
            ),
            f"  fast-forward: {len(result.history.meta['windows'])} incident windows, "
            f"{skipped / scenario.duration:.1%} of the time skipped as quiet",
        ]
    checks = result.scenario.checks
    lines.append(
        f"  this scenario: stable_s = {format_duration(checks.stable)}, "
        f"slow_s = {format_duration(checks.slow)}"
    )
    if math.isinf(m["rto_s"]) or math.isinf(m["read_rto_s"]):
        lines.append(f"  inf (censored): {CENSORED}; it counts as a miss in every target")
    lines += [
        "",
        "Data loss",
        _row("RPO", _duration(m["rpo_s"]), RPO_DEF),
        _row("RPO bytes", format_size(m["rpo_bytes"]), RPO_BYTES_DEF),
        _row("lost writes", str(m["lost_writes"]), "acknowledged writes absent at the end"),
        _row("lost tx (estimate)", f"{m['lost_tx_est']:.0f}", "lost bytes / bytes per tx"),
        _row(
            "loss window",
            _duration(m["loss_window_s"]),
            "time span of the log on discarded histories",
        ),
        _row("divergent writes", str(m["divergent_writes"]), "acked on a discarded history"),
        _row(
            "discarded writes",
            str(m["discarded_writes"]),
            "lost writes a restore left out by choice (past its target, though backed up)",
        ),
        _row("indeterminate", str(m["indeterminate"]), "outcome unknown to the client"),
        _row(
            "failed but present",
            str(m["failed_but_present"]),
            "reported failed to the client, yet applied",
        ),
        _row(
            "lost updates",
            str(m["lost_updates"]),
            "acknowledged counter increments missing from the final value",
        ),
        "",
        "Consistency",
        _row(
            "split brain",
            _duration(m["split_brain_s"]),
            f"time nodes on different histories both acked writes ({len(m['split_brain'])} "
            "intervals)",
        ),
        _row("dual primary", _duration(m["dual_primary_s"]), "time two or more nodes were primary"),
        _row(
            "stale reads",
            str(m["stale_reads"]),
            f"reads more than stale_bound_s = {_duration(_stale_bound_s(result))} behind",
        ),
        _row("read-your-writes", str(m["ryw_violations"]), "reads missing the client's own write"),
        "",
        "Failover",
        _row("failovers", str(m["failovers"]), "promotions from the fault on"),
        _row(
            "false failovers",
            str(m["false_failovers"]),
            "decided while a majority of deciders still reached the old primary",
        ),
        "  RTO breakdown (adds up to the write RTO):",
    ]
    for key in ("detection_s", "election_s", "fencing_s", "promotion_s", "routing_s", "client_s"):
        lines.append(f"    {key.removesuffix('_s'):<12}{_duration(m[key]):>12}")
    lines += _restore_rows(m) + _cost_rows(m)
    lines += ["", f"history digest {p['history_digest']}  hasim {p['hasim_version']}", ""]
    return "\n".join(lines)


def _restore_rows(m: dict[str, Any]) -> list[str]:
    """The restores and backup jobs of a run, when it had any."""
    if not (m["restores"] or m["backup_failures"] or m["restore_s"]):
        return []
    return [
        "",
        "Restores and backups",
        _row("restores", str(m["restores"]), "restores finished from the fault on"),
        _row("restore", _duration(m["restore_s"]), "the first restore, from its start"),
        _row("  download", _duration(m["restore_fetch_s"]), "backup in place, waits included"),
        _row("  replay", _duration(m["restore_replay_s"]), "log replayed to the recovery point"),
        _row("failed backup jobs", str(m["backup_failures"]), "left no restorable backup"),
        _row(
            "  unnoticed",
            str(m["unnoticed_backup_failures"]),
            "failed jobs no check caught: a restore finds out",
        ),
    ]


def _cost_rows(m: dict[str, Any]) -> list[str]:
    """The monthly bill, when the topology file has prices."""
    if "cost_month_usd" not in m:
        return ["", "Cost: the topology file has no `cost:` prices"]
    parts = ", ".join(
        f"{key.removesuffix('_month_usd')} ${m[key]:,.0f}"
        for key in ("compute_month_usd", "storage_month_usd", "backup_month_usd")
    )
    parts += f", transfer ${m['transfer_month_usd']:,.0f}"
    return [
        "",
        "Cost",
        _row("per month", f"${m['cost_month_usd']:,.0f}", f"list prices in the file: {parts}"),
    ]


def _stale_bound_s(result: RunResult) -> float:
    from sim.checkers.anomalies import STALE_BOUND_S

    return float(result.history.meta.get("stale_bound_s", STALE_BOUND_S))


def _row(label: str, value: str, definition: str) -> str:
    return f"  {label:<20}{value:>12}   {definition}"


def _site_rows(by_site: dict[str, float], worst: float) -> list[str]:
    rows = []
    for site in sorted(by_site):
        mark = "  (worst)" if by_site[site] == worst and len(set(by_site.values())) > 1 else ""
        rows.append(f"    {site:<24}{_duration(by_site[site]):>12}{mark}")
    return rows


if __name__ == "__main__":
    sys.exit(main())
