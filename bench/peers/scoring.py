"""Score every model with the same metric code (`forecast.metrics`) and compare each peer with
our default model on exactly the rows the peer forecast."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from bench.peers.datasets import Dataset
from forecast.backtest import attach_actuals
from forecast.metrics import ALL_METRICS, evaluate, oracle, with_mase_scale

KEYS = ["trust_code", "origin", "horizon"]
HEADLINE = ["mae", "mase", "mape", "coverage80", "coverage95", "pinball", "width80", "n"]


def scored_frame(dataset: Dataset, forecasts: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """All models' forecasts with actuals and the MASE scale: the backtest frame shape."""
    frames = [f.with_columns(pl.lit(name, dtype=pl.String).alias("model"))
              for name, f in forecasts.items()]
    joined = attach_actuals(pl.concat(frames, how="diagonal_relaxed"),
                            dataset.data.attendances)
    return with_mase_scale(joined, dataset.data.attendances)


def score(dataset: Dataset, forecasts: Mapping[str, pl.DataFrame], ours: str
          ) -> dict[str, dict[str, Any]]:
    """Per model: headline metrics, MAE/oracle, and ours on the same rows (for peers)."""
    frame = scored_frame(dataset, forecasts)
    result: dict[str, dict[str, Any]] = {}
    for name in forecasts:
        rows = frame.filter(pl.col("model") == name)
        entry = _metrics(rows, dataset)
        entry["n_trusts"] = rows["trust_code"].n_unique()
        entry["complete"] = rows.height == entry["n_trusts"] * len(dataset.origins) * 14
        if name != ours and ours in forecasts:
            same = frame.filter(pl.col("model") == ours).join(rows.select(KEYS), on=KEYS,
                                                                how="semi")
            entry["ours_same_rows"] = _metrics(same, dataset)
        result[name] = entry
    return result


def _metrics(rows: pl.DataFrame, dataset: Dataset) -> dict[str, Any]:
    values = evaluate(rows, ALL_METRICS, by=[]).to_dicts()[0]
    entry = {key: _clean(values.get(key)) for key in HEADLINE}
    if dataset.truth is not None:
        floor = oracle(rows, dataset.truth, by=[]).to_dicts()[0]
        entry["oracle_mae"] = _clean(floor["oracle_mae"])
        entry["mae_vs_oracle"] = _clean(floor["model_mae"] / floor["oracle_mae"])
    return entry


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value
