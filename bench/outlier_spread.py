"""Bench: how far one trust's spike moves every other trust's forecast (issue 25 item 2).

The world of the issue (`aeforecast synth --trusts 12 --years 3 --seed 17`): one store as
generated, and one where a single trust's last three days are multiplied by `--factor` (3);
each batched from scratch (default ensemble, 42 days from the end of the data). For every other
trust, the mean absolute relative change of its 42 served points, and the largest single day's.
`--spiked` chooses the trust (default: each of the 3 largest in turn, the ones whose spike
weighs most in the pooled signals). Writes bench/results/outlier_spread.json.

    .venv/bin/python -m bench.outlier_spread [--factor 3] [--seed 17] [--spiked CODE,...]
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from batch.registry import ModelRegistry
from batch.runner import BatchOptions, run_batch
from contract.inputs import validate_attendances, validate_temperature
from store import Store
from store.runs import latest_complete_run, read_run_forecast
from synthetic_data import SynthConfig, generate

RESULTS = Path(__file__).resolve().parent / "results" / "outlier_spread.json"
END = date(2026, 3, 31)
HORIZON = 42
SPIKE_DAYS = 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--trusts", type=int, default=12)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--spiked", default="", help="trust codes to spike, one at a time")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    data = generate(SynthConfig(trusts=args.trusts, years=args.years, end=END, seed=args.seed))
    attendances = validate_attendances(data.attendances, as_of=END)
    temperature = validate_temperature(data.temperature)
    sizes = attendances.group_by("trust_code").agg(pl.col("attendances").mean()).sort(
        "attendances", descending=True)
    spiked = args.spiked.split(",") if args.spiked else sizes["trust_code"].head(3).to_list()
    with tempfile.TemporaryDirectory(prefix="bench-outlier-") as tmp:
        root = Path(tmp)
        baseline = _served(root / "baseline", attendances, temperature)
        cases = []
        for code in spiked:
            moved = _spike(attendances, code, args.factor)
            changed = _served(root / code, moved, temperature)
            cases.append({"spiked": code, **_changes(baseline, changed, code)})
            print(json.dumps(cases[-1]), flush=True)
    result = {"world": {"trusts": args.trusts, "years": args.years, "seed": args.seed,
                        "end": END.isoformat()},
              "factor": args.factor, "spike_days": SPIKE_DAYS, "horizon": HORIZON,
              "cases": cases, "elapsed_s": round(time.perf_counter() - started, 1)}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    worst = max(c["worst_mean_abs_change"] for c in cases)
    print(f"worst other trust's mean absolute change: {worst:.4%}")
    return 0


def _spike(attendances: pl.DataFrame, code: str, factor: float) -> pl.DataFrame:
    last = END - timedelta(days=SPIKE_DAYS - 1)
    hit = (pl.col("trust_code") == code) & (pl.col("date") >= last)
    dtype = attendances.schema["attendances"]
    return attendances.with_columns(
        attendances=pl.when(hit).then((pl.col("attendances") * factor).round().cast(dtype))
        .otherwise(pl.col("attendances")))


def _served(root: Path, attendances: pl.DataFrame, temperature: pl.DataFrame) -> pl.DataFrame:
    root.mkdir()
    with Store(f"sqlite:///{root / 'aeforecast.db'}") as store:
        store.migrate()
        store.ingest(attendances, temperature, source="bench")
        run_batch(store, ModelRegistry(root / "models"), BatchOptions(as_of=END, horizon=HORIZON))
        run = latest_complete_run(store)
        assert run is not None
        trusts = sorted(attendances["trust_code"].unique().to_list())
        return pl.concat([
            read_run_forecast(store, run.run_id, code, END + timedelta(days=1), HORIZON)
            .select("date", "point").with_columns(trust_code=pl.lit(code)) for code in trusts])


def _changes(baseline: pl.DataFrame, changed: pl.DataFrame, spiked: str) -> dict[str, Any]:
    joined = baseline.join(changed, on=["trust_code", "date"], suffix="_spiked").with_columns(
        change=(pl.col("point_spiked") / pl.col("point") - 1))
    others = joined.filter(pl.col("trust_code") != spiked).group_by("trust_code").agg(
        mean_abs_change=pl.col("change").abs().mean(), mean_change=pl.col("change").mean(),
        max_abs_change=pl.col("change").abs().max())
    own = joined.filter(pl.col("trust_code") == spiked)["change"].mean()
    return {
        "worst_mean_abs_change": round(float(others["mean_abs_change"].max()), 5),
        "mean_change_range": [round(float(others["mean_change"].min()), 5),
                              round(float(others["mean_change"].max()), 5)],
        "worst_single_day": round(float(others["max_abs_change"].max()), 5),
        "spiked_trust_mean_change": round(float(own), 5),
    }


if __name__ == "__main__":
    raise SystemExit(main())
