"""Bench: the hierarchy backtest on synthetic data, every level, unreconciled vs reconciled.

Generates a synthetic world (sites, trusts, ICSs, regions, England; fixed end date and seed),
runs the rolling-origin hierarchy backtest (horizon 14, a year of weekly origins so summer and
winter both count, the default engine) with several reconciliation methods on the same base
forecasts, prints MAE, MASE and 80%/95% coverage per level, and writes
bench/results/hierarchy.json.

    .venv/bin/python -m bench.hierarchy [--trusts 150] [--years 6] [--origins 52]
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
from typing import Any

import polars as pl

RESULTS = Path(__file__).resolve().parent / "results" / "hierarchy.json"
METHODS = "mint_shrink,wls_var,wls_struct,ols,bottom_up"


def main() -> int:
    from aeforecast.contract.hierarchy import validate_hierarchy
    from forecast.backtest import backtest_origins
    from forecast.hierarchy.backtest import run_hierarchy_backtest
    from forecast.hierarchy.structure import Hierarchy
    from forecast.protocol import ModelInput
    from synthetic_data import SynthConfig, generate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=150)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--end", default="2026-03-31")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument("--origins", type=int, default=52)
    parser.add_argument("--methods", default=METHODS)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    end = date.fromisoformat(args.end)
    world = generate(SynthConfig(trusts=args.trusts, years=args.years, end=end, seed=args.seed))
    hierarchy = Hierarchy.from_frame(validate_hierarchy(world.hierarchy))
    data = ModelInput(pl.concat([world.attendances, world.site_attendances]), world.temperature)
    started = time.perf_counter()
    result = run_hierarchy_backtest(
        data, hierarchy, args.horizon, backtest_origins(end, args.horizon, args.origins, 7),
        methods=args.methods.split(","))  # type: ignore[arg-type]
    summary = result.summary | {
        "data": {"trusts": args.trusts, "years": args.years, "end": args.end, "seed": args.seed,
                 "nodes": len(hierarchy), "leaves": len(hierarchy.leaves)},
        "wall_s": round(time.perf_counter() - started, 1), "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    print(table(summary))
    return 0


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
