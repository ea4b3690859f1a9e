"""Bench: does the hierarchy's base engine forecast worse, level by level, as it ages?

Why: the hierarchy calibrates its intervals on errors of engines up to a quarter old, and serves
one at most a few weeks old. If an old engine's errors were larger, the intervals would be too
wide. For each of `--blocks` 8-week blocks of weekly origins (14-day horizon) in the last year,
two engines forecast the same origins: one trained just before the block ("fresh") and one
trained `--age` days earlier ("old"). Both see the same history at each origin; only the learned
model differs. Prints and writes per level: relative MAE and RMSE, old over fresh.

    .venv/bin/python -m bench.engine_age [--trusts 80] [--years 5] [--seed 2] [--unpinned]

`--unpinned` lets the aggregates leave LightGBM on skill, as before `SkillSelect.pinned`.
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

RESULTS = Path(__file__).resolve().parent / "results" / "engine_age.json"
BLOCK_WEEKS = 8
HORIZON = 14


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=80)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--end", default="2026-03-31")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--age", type=int, default=84, help="the old engine's extra age, days")
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--unpinned", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    errors = age_errors(args)
    table = by_level(errors)
    print(table)
    summary: dict[str, Any] = {
        "data": {"trusts": args.trusts, "years": args.years, "end": args.end, "seed": args.seed},
        "age_days": args.age, "blocks": args.blocks, "pinned": not args.unpinned,
        "levels": {row["level"]: {k: v for k, v in row.items() if k != "level"}
                   for row in table.iter_rows(named=True)},
        "wall_s": round(time.perf_counter() - started, 1), "date": date.today().isoformat()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


def age_errors(args: argparse.Namespace) -> pl.DataFrame:
    """level, engine ("fresh" | "old"), actual, point: every node, origin and horizon."""
    from bench.hierarchy import synthetic_world
    from forecast.combination import SkillSelect
    from forecast.hierarchy.aggregate import hierarchy_input
    from forecast.hierarchy.model import HierarchicalForecaster

    end = date.fromisoformat(args.end)
    hierarchy, data = synthetic_world(args.trusts, args.years, end, args.seed)
    nodes = hierarchy_input(data, hierarchy, "attendances")
    levels = pl.DataFrame({"trust_code": hierarchy.codes,
                           "level": [hierarchy.level_of(c) for c in hierarchy.codes]})
    frames = []
    for block in range(args.blocks):
        first = end - timedelta(days=HORIZON + 7 * BLOCK_WEEKS * (block + 1))
        for engine_name, trained in (("fresh", first), ("old", first - timedelta(days=args.age))):
            engine = HierarchicalForecaster(hierarchy)._new_engine()
            if args.unpinned and isinstance(engine, SkillSelect):
                engine.pinned = frozenset()
            engine.fit(nodes.up_to(trained))
            for week in range(BLOCK_WEEKS):
                origin = first + timedelta(days=7 * week)
                frames.append(engine.predict(nodes.up_to(origin), origin, HORIZON).with_columns(
                    engine=pl.lit(engine_name)))
        print(f"block {block + 1}/{args.blocks} from {first}", file=sys.stderr, flush=True)
    actual = nodes.attendances.select("trust_code", "date",
                                      pl.col("attendances").cast(pl.Float64).alias("actual"))
    return pl.concat(frames).join(actual, on=["trust_code", "date"]).join(levels, on="trust_code")


def by_level(errors: pl.DataFrame) -> pl.DataFrame:
    """Per level: each engine's mean relative absolute and root-mean-square error, old/fresh."""
    relative = (pl.col("actual") - pl.col("point")) / pl.col("actual")
    wide = errors.filter(pl.col("actual") > 0).group_by("level", "engine").agg(
        mae=relative.abs().mean(), rmse=(relative**2).mean().sqrt()).pivot(
        on="engine", index="level", values=["mae", "rmse"])
    return wide.with_columns(
        mae_ratio=pl.col("mae_old") / pl.col("mae_fresh"),
        rmse_ratio=pl.col("rmse_old") / pl.col("rmse_fresh")).select(
        "level", "mae_fresh", "mae_old", "mae_ratio", "rmse_fresh", "rmse_old", "rmse_ratio",
    ).sort("level")


if __name__ == "__main__":
    sys.exit(main())
