"""Score every model with the same metric code (`forecast.metrics`) and compare each peer with
our default model on exactly the rows the peer forecast."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from bench.peers.datasets import Dataset
from forecast.backtest import attach_actuals
from forecast.metrics import ALL_METRICS, evaluate, oracle, with_mase_scale

KEYS = ["trust_code", "origin", "horizon"]
HEADLINE = ["mae", "mase", "mape", "coverage80", "coverage95", "pinball", "width80", "n"]
BOOTSTRAP_DRAWS = 2000


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
            entry["ours_vs_this"] = paired(same, rows)
        result[name] = entry
    return result


def paired(ours: pl.DataFrame, peer: pl.DataFrame, seed: int = 5) -> dict[str, Any]:
    """Our MAE / the peer's on the same rows, with a 95% bootstrap interval over origins.

    Origins are resampled whole (a winter wave moves every trust and horizon of an origin
    together), so the interval reflects how much the ratio depends on which weeks were tested.
    """
    def by_origin(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        scored = frame.filter(pl.col("actual").is_not_null())
        return scored.group_by("origin").agg((pl.col("point") - pl.col("actual")).abs().sum()
                                             .alias(name))

    table = by_origin(ours, "ours").join(by_origin(peer, "peer"), on="origin").sort("origin")
    a, b = table["ours"].to_numpy(), table["peer"].to_numpy()
    if len(a) == 0 or b.sum() == 0:
        return {"mae_ratio": None, "ci95": None, "origins_won": None, "origins": 0}
    draws = np.random.default_rng(seed).integers(0, len(a), (BOOTSTRAP_DRAWS, len(a)))
    ratios = a[draws].sum(axis=1) / b[draws].sum(axis=1)
    return {"mae_ratio": _clean(float(a.sum() / b.sum())),
            "ci95": [_clean(float(q)) for q in np.quantile(ratios, [0.025, 0.975])],
            "origins_won": int((a < b).sum()), "origins": len(a)}


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
