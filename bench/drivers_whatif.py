"""Bench: what drivers add to a nightly run, and what one what-if scenario costs.

Fits the default ensemble on 150 synthetic trusts x 6 years (the batch's data), then times, at
the last day: the 42-day forecast of every trust (what the batch already does), the drivers of
every forecast day (LightGBM `pred_contrib` grouped by family; what the batch adds), and one
scenario (a week of 34 C for one trust: the two predictions the API makes per request).
Writes bench/results/drivers_whatif.json.

    .venv/bin/python -m bench.drivers_whatif [--trusts 150] [--years 6]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import polars as pl

from batch.scenario import with_temperatures
from forecast.catalog import build_models
from forecast.drivers import explain
from forecast.protocol import ModelInput
from synthetic_data import SynthConfig, generate

T = TypeVar("T")
CPU_SECONDS: list[float] = []
RESULTS = Path(__file__).resolve().parent / "results" / "drivers_whatif.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=150)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    end = date(2026, 3, 31)
    world = generate(SynthConfig(trusts=args.trusts, years=args.years, end=end, seed=42))
    data = ModelInput(world.attendances, world.temperature)
    model = build_models(["ensemble"])["ensemble"]
    started = time.perf_counter()
    model.fit(data)
    fit_s = time.perf_counter() - started
    forecast, predict_s = _timed(lambda: model.predict(data, end, 42))
    drivers, explain_s = _timed(lambda: explain(model, data, forecast))
    code = sorted(forecast["trust_code"].unique().to_list())[0]
    heat = {end + timedelta(days=d): 34.0 for d in range(1, 8)}

    def scenario() -> tuple[pl.DataFrame, pl.DataFrame]:
        base = model.predict(data, end, 42)
        return base, model.predict(with_temperatures(data, code, heat), end, 42)

    _, scenario_s = _timed(scenario)
    result = {
        "date": date.today().isoformat(), "trusts": args.trusts, "years": args.years,
        "rows": forecast.height, "fit_s": round(fit_s, 1), "predict_s": round(predict_s, 2),
        "drivers_s": round(explain_s, 2), "scenario_s": round(scenario_s, 2),
        "cpu_s": dict(zip(["predict", "drivers", "scenario"], CPU_SECONDS, strict=True)),
        "drivers_rows": drivers.height, "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    """Wall seconds; CPU seconds (all threads) go to CPU_SECONDS, steadier on a busy machine."""
    started, cpu = time.perf_counter(), time.process_time()
    out = work()
    CPU_SECONDS.append(round(time.process_time() - cpu, 2))
    return out, time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
