"""Bench: how much does one winter's error at the top of the hierarchy differ from the next's?

Why: the hierarchy sizes a level's intervals from the year of errors before each refit, so the
test winter's intervals at the nation are sized by the previous winter's errors. When the two
winters differ (the synthetic respiratory wave's size is drawn afresh each year, as real flu
seasons differ) the top levels' coverage in one world moves with them. For each world this fits
the hierarchical model at the end of the last two years and reports the relative RMSE and MAE of
the held-out base forecasts at the nation and the regions, November to March against the rest.

    .venv/bin/python -m bench.winter_errors [--trusts 80] [--years 5] [--seeds 1,2,3,4,5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

RESULTS = Path(__file__).resolve().parent / "results" / "winter_errors.json"
WINTER_MONTHS = [11, 12, 1, 2, 3]
TOP_LEVELS = ("nation", "region")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=80)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--end", default="2026-03-31")
    parser.add_argument("--seeds", default="1,2,3,4,5")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    worlds = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        table = winter_table(args, seed)
        print(f"seed {seed}:\n{table}", file=sys.stderr, flush=True)
        worlds[str(seed)] = table.to_dicts()
    summary: dict[str, Any] = {
        "data": {"trusts": args.trusts, "years": args.years, "end": args.end},
        "worlds": worlds, "wall_s": round(time.perf_counter() - started, 1),
        "date": date.today().isoformat()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def winter_table(args: argparse.Namespace, seed: int) -> pl.DataFrame:
    """level, year (the calibration year's end), winter, rmse, mae: held-out base errors."""
    from bench.hierarchy import synthetic_world
    from forecast.hierarchy.aggregate import hierarchy_input
    from forecast.hierarchy.model import HierarchicalForecaster

    end = date.fromisoformat(args.end)
    hierarchy, data = synthetic_world(args.trusts, args.years, end, seed)
    nodes = hierarchy_input(data, hierarchy, "attendances")
    top = pl.DataFrame({"trust_code": hierarchy.codes,
                        "level": [hierarchy.level_of(c) for c in hierarchy.codes]}).filter(
        pl.col("level").is_in(TOP_LEVELS))
    frames = []
    for fit_end in (end - timedelta(days=365), end):
        model = HierarchicalForecaster(hierarchy, max_horizon=14, refit=False)
        model.fit(nodes.up_to(fit_end))
        frames.append(model.held_out.with_columns(year=pl.lit(fit_end.year)))
    relative = (pl.col("actual") - pl.col("point")) / pl.col("actual")
    return pl.concat(frames).join(top, on="trust_code").filter(pl.col("actual") > 0).with_columns(
        winter=pl.col("date").dt.month().is_in(WINTER_MONTHS)).group_by(
        "level", "year", "winter").agg(
        rmse=(relative**2).mean().sqrt(), mae=relative.abs().mean(), n=pl.len()).sort(
        "level", "winter", "year")


if __name__ == "__main__":
    sys.exit(main())
