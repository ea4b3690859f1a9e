"""The backtest's `metrics.json`: the contract's keys, plus breakdowns, timings and the oracle."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from forecast.backtest import ModelTiming
from forecast.metrics import ALL_METRICS, by_horizon, by_month, by_weekday, evaluate, oracle
from forecast.protocol import ModelName

HEADLINE = ["mae", "mape", "mase", "coverage80", "coverage95", "pinball", "width80", "width95",
            "bias", "n"]


def summarise(forecasts: pl.DataFrame, timings: Mapping[ModelName, ModelTiming], *,
              default_model: ModelName, horizon: int, origins: Sequence[date], elapsed_s: float,
              temperature: str, truth: pl.DataFrame | None = None) -> dict[str, Any]:
    """`forecasts` must carry `mase_scale` (metrics.with_mase_scale)."""
    overall = _records(evaluate(forecasts, ALL_METRICS, by=["model"]))
    breakdowns = {
        "by_horizon": by_horizon(forecasts), "by_weekday": by_weekday(forecasts),
        "by_month": by_month(forecasts),
    }
    oracle_rows = _records(oracle(forecasts, truth)) if truth is not None else {}
    models: dict[str, Any] = {}
    for name in timings:
        entry: dict[str, Any] = {k: overall.get(name, {}).get(k) for k in HEADLINE}
        timing = timings[name]
        entry.update(fit_s=round(timing.fit_s, 3), predict_s=round(timing.predict_s, 3),
                     n_fits=timing.n_fits)
        for key, frame in breakdowns.items():
            rows = frame.filter(pl.col("model") == name).drop("model")
            entry[key] = [_clean(row) for row in rows.to_dicts()]
        if name in oracle_rows:
            ratio = _ratio(oracle_rows[name]["model_mae"], oracle_rows[name]["oracle_mae"])
            entry.update(oracle_mae=oracle_rows[name]["oracle_mae"], mae_vs_oracle=ratio)
        models[name] = entry
    summary: dict[str, Any] = {
        "default_model": default_model,
        "models": models,
        "horizon": horizon,
        "origins": len(origins),
        "origin_dates": [d.isoformat() for d in sorted(origins)],
        "n_trusts": forecasts["trust_code"].n_unique(),
        "elapsed_s": round(elapsed_s, 3),
        "temperature": temperature,
    }
    if truth is not None:
        summary["oracle"] = _top_oracle(oracle_rows, default_model, list(timings))
    return summary


def _top_oracle(rows: Mapping[str, dict[str, Any]], default_model: str, names: list[str]
                ) -> dict[str, Any]:
    """The oracle on the default model's rows (or the first model's if it was not run)."""
    chosen = default_model if default_model in rows else next((n for n in names if n in rows), None)
    if chosen is None:
        return {"mae": None, "rows_of": None}
    return {"mae": rows[chosen]["oracle_mae"], "rows_of": chosen, "n": rows[chosen]["n_oracle"]}


def _records(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    return {row["model"]: _clean(row) for row in frame.to_dicts()}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe: NaN and infinities become null, floats are rounded for people to read."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, float):
            out[key] = round(value, 6) if math.isfinite(value) else None
        else:
            out[key] = value
    return out


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return round(num / den, 6)
