"""Are the hourly intervals calibrated on real data? Cardiff, the default model's real forecasts.

    .venv/bin/python -m bench.hourly_calibration [--out bench/out/hourly_cardiff]

1. `aeforecast backtest` on Cardiff's daily attendances (the backtest's protocol: 26 weekly
   origins, horizon 14, the default model only), as docs/benchmarks.md's accuracy table.
2. Each forecast day is spread over its hours (`forecast.hourly_spread`) with the profile an
   operator would have had at that origin: the 12 weeks of hourly arrivals up to the origin
   (`forecast.hourly_profile`), and, for comparison, the default profile.
3. The real hours of that day (Cardiff's `arrivals_hourly.csv`) are scored:
   80% / 95% coverage and MAE per hour. Three variants show what each part does: the full
   method; the day's uncertainty dropped (all five daily numbers = the point: only the
   within-day noise); and the day's total known exactly (the within-day part alone).

Writes bench/results/hourly_calibration.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from bench.hourly_default_profile import find_shared
from contract.inputs import read_arrivals_hourly
from forecast.hourly_profile import (
    HourlyProfile,
    day_shares,
    default_profile,
    estimate_profile,
    local_days,
)
from forecast.hourly_spread import DayForecast, spread_day

RESULTS = Path(__file__).parent / "results" / "hourly_calibration.json"


def backtest(out: Path) -> pl.DataFrame:
    forecasts = out / "forecasts.parquet"
    if not forecasts.exists():
        attendances = find_shared("shared/data/cardiff_ed/attendances.csv")
        temperature = find_shared("shared/data/cardiff_ed/temperature_forecast.csv")
        subprocess.run(
            [sys.executable, "-m", "aeforecast.cli", "backtest", "--attendances",
             str(attendances), "--temperature", str(temperature), "--out", str(out),
             "--models", "ensemble"],
            check=True,
        )
    return pl.read_parquet(forecasts).filter(pl.col("model") == "ensemble")


def score(
    forecasts: pl.DataFrame, hourly: pl.DataFrame, actual_hours: dict[date, np.ndarray]
) -> dict[str, dict[str, float]]:
    profiles: dict[date, HourlyProfile] = {}
    tallies: dict[str, list[float]] = {}
    for row in forecasts.iter_rows(named=True):
        day, origin = row["date"], row["origin"]
        actual = actual_hours.get(day)
        if actual is None:
            continue
        if origin not in profiles:  # the hours known at the origin: its UK day and before
            known = hourly.filter(pl.col("local_date") <= origin)
            profiles[origin] = estimate_profile(known.select("trust_code", "hour_start_utc",
                                                             "arrivals"))
        day_fc = DayForecast(row["point"], row["lo80"], row["hi80"], row["lo95"], row["hi95"])
        variants = {
            "trust_profile": (profiles[origin], day_fc),
            "default_profile": (default_profile(), day_fc),
            "no_day_uncertainty": (profiles[origin], DayForecast(*[row["point"]] * 5)),
            "day_total_known": (profiles[origin], DayForecast(*[float(actual.sum())] * 5)),
        }
        for name, (profile, totals) in variants.items():
            hours, shares = day_shares(profile, day)
            if len(hours) != len(actual):
                raise SystemExit(f"{day}: {len(hours)} hours expected, {len(actual)} in the data")
            spread = spread_day(totals, shares)
            tally = tallies.setdefault(name, [0, 0, 0, 0.0])
            tally[0] += float(((actual >= spread.lo80) & (actual <= spread.hi80)).sum())
            tally[1] += float(((actual >= spread.lo95) & (actual <= spread.hi95)).sum())
            tally[2] += len(actual)
            tally[3] += float(np.abs(actual - spread.point).sum())
    return {
        name: {"coverage80": round(c80 / n, 4), "coverage95": round(c95 / n, 4),
               "mae_per_hour": round(err / n, 3), "hours": int(n)}
        for name, (c80, c95, n, err) in tallies.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench/out/hourly_cardiff"))
    args = parser.parse_args()
    started = time.perf_counter()
    forecasts = backtest(args.out)
    hourly = read_arrivals_hourly(find_shared(), as_of=date(2019, 3, 1))
    local = local_days(hourly).sort("hour_start_utc")
    actual_hours = {
        day: group["arrivals"].to_numpy() for (day,), group in local.group_by("local_date")
    }
    spread_started = time.perf_counter()
    results = score(forecasts, local, actual_hours)
    result = {
        "command": "python -m bench.hourly_calibration",
        "date": date.today().isoformat(),
        "data": "Cardiff ED, daily backtest of the default model (26 origins x 14 days), "
                "hours of each forecast day",
        "forecast_days": forecasts.height,
        "variants": results,
        "spread_seconds": round(time.perf_counter() - spread_started, 1),
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
