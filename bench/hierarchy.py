"""Bench: the hierarchy backtest on synthetic data, every level, unreconciled vs reconciled.

Generates synthetic worlds (sites, trusts, ICSs, regions, England; fixed end date, one per
seed), runs the rolling-origin hierarchy backtest on each (horizon 14, a year of weekly origins
so summer and winter both count, the default engine) with several reconciliation methods on the
same base forecasts, prints MAE, MASE and 80%/95% coverage per level pooled over the worlds and
per world, and writes bench/results/hierarchy.json.

Why several worlds: a world's top levels are one nation and a handful of regions over one year,
so their measured coverage mostly says whether that winter was like the last one (the nation's
80% coverage from one world has a standard error near 0.055). Pooling worlds measures the method.

    .venv/bin/python -m bench.hierarchy [--trusts 150] [--years 6] [--origins 52] [--seeds 42]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from forecast.hierarchy.structure import Hierarchy
    from forecast.protocol import ModelInput

RESULTS = Path(__file__).resolve().parent / "results" / "hierarchy.json"
METHODS = "mint_shrink,wls_var,wls_struct,ols,bottom_up"
POOLED = ("mae", "mase", "coverage80", "coverage95")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=150)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--end", default="2026-03-31")
    parser.add_argument("--seeds", default="42", help="comma-separated; one world per seed")
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument("--origins", type=int, default=52)
    parser.add_argument("--methods", default=METHODS)
    parser.add_argument("--early-models", type=int, default=None,
                        help="engines retrained across the calibration year (model default: 4)")
    parser.add_argument("--recent-days", type=int, default=None,
                        help="days of recent errors that scale the intervals (model default: "
                             "42; 0: off)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    worlds: list[dict[str, Any]] = []
    for seed in (int(s) for s in args.seeds.split(",")):
        worlds.append(one_world(args, seed))
        print(f"seed {seed}:\n{table(worlds[-1])}\n", file=sys.stderr, flush=True)
        summary = pooled(worlds) | {  # written after every world: an interrupted run keeps them
            "data": {"trusts": args.trusts, "years": args.years, "end": args.end,
                     "seeds": [w["data"]["seed"] for w in worlds]},
            "worlds": worlds,
            "wall_s": round(time.perf_counter() - started, 1), "date": date.today().isoformat(),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(table(pooled(worlds)))
    return 0


def one_world(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    """The hierarchy backtest's summary for the world of `seed`."""
    from forecast.backtest import backtest_origins
    from forecast.hierarchy.backtest import run_hierarchy_backtest

    end = date.fromisoformat(args.end)
    hierarchy, data = synthetic_world(args.trusts, args.years, end, seed)
    started = time.perf_counter()
    result = run_hierarchy_backtest(
        data, hierarchy, args.horizon, backtest_origins(end, args.horizon, args.origins, 7),
        methods=args.methods.split(","),
        model_options=model_options(args))
    return result.summary | {
        "data": {"seed": seed, "nodes": len(hierarchy), "leaves": len(hierarchy.leaves),
                 "early_models": args.early_models, "recent_days": args.recent_days},
        "wall_s": round(time.perf_counter() - started, 1)}


def synthetic_world(trusts: int, years: int, end: date, seed: int
                    ) -> tuple[Hierarchy, ModelInput]:
    """(Hierarchy, ModelInput of the bottom series, sites under their own codes) of one world."""
    from contract.hierarchy import validate_hierarchy
    from forecast.hierarchy.structure import Hierarchy
    from forecast.protocol import ModelInput
    from synthetic_data import SynthConfig, generate

    world = generate(SynthConfig(trusts=trusts, years=years, end=end, seed=seed))
    return (Hierarchy.from_frame(validate_hierarchy(world.hierarchy)),
            ModelInput(pl.concat([world.attendances, world.site_attendances]),
                       world.temperature))


def model_options(args: argparse.Namespace) -> dict[str, Any]:
    """`HierarchicalForecaster` fields the command line changed from the model's defaults."""
    options: dict[str, Any] = {}
    if args.early_models is not None:
        options |= {"early_models": args.early_models,
                    "min_segment_days": min(91, 364 // args.early_models)}
    if args.recent_days is not None:
        options["recent_days"] = args.recent_days
    return options


def pooled(worlds: list[dict[str, Any]]) -> dict[str, Any]:
    """Every world's scored forecasts as one sample: n-weighted means, the MAE change recomputed
    from the pooled MAEs, the largest incoherence of any world."""
    first = worlds[0]
    levels: dict[str, Any] = {}
    for level in first["levels"]:
        blocks = [w["levels"][level] for w in worlds if level in w["levels"]]
        out: dict[str, Any] = {"nodes": sum(b["nodes"] for b in blocks)}
        for name in ["base", *first["methods"]]:
            rows = [b[name] for b in blocks if name in b]
            n = sum(r["n"] for r in rows)
            if not n:
                continue
            out[name] = {k: sum(r[k] * r["n"] for r in rows) / n for k in POOLED} | {"n": n}
        for name in first["methods"]:
            if name in out and "base" in out:
                out[name]["mae_change"] = out[name]["mae"] / out["base"]["mae"] - 1.0
        levels[level] = out
    return {"methods": first["methods"], "served": first["served"], "levels": levels,
            "max_incoherence": {m: max(w["max_incoherence"][m] for w in worlds)
                                for m in first["methods"]}}


def table(summary: dict[str, Any]) -> str:
    """A Markdown table: per level, base and each method's MAE (change), MASE, coverage."""
    lines = ["| level | nodes | forecast | MAE | vs base | MASE | 80% cov | 95% cov |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for level, block in summary["levels"].items():
        for name in ["base", *summary["methods"]]:
            m = block.get(name)
            if m is None:
                continue
            change = f"{100 * m['mae_change']:+.2f}%" if "mae_change" in m else ""
            lines.append(f"| {level} | {block['nodes']} | {name} | {m['mae']:.2f} | {change} | "
                         f"{m['mase']:.3f} | {m['coverage80']:.3f} | {m['coverage95']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
