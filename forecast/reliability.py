"""Are exceedance probabilities calibrated? A reliability table from the backtest's forecasts.

The thresholds are the ones a manager would set: per trust and origin, the 80th, 90th and 95th
percentiles of that trust's attendances over the year up to the origin (no later actual is
used). Every scored backtest row gets P(actual > threshold) from its five quantiles, exactly as
the API computes `p_exceed` (forecast.exceedance); predictions are binned into tenths and each
bin's mean predicted probability is set against how often the threshold was in fact exceeded.
Calibrated: days given p ~ 0.3 exceed about 30% of the time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from forecast.exceedance import KNOT_COLUMNS, prob_exceed

THRESHOLD_PERCENTILES: tuple[float, ...] = (0.8, 0.9, 0.95)
HISTORY_DAYS = 365
BINS = 10
MIN_HISTORY = 28  # observed days a trust needs before its percentiles mean anything


def origin_thresholds(attendances: pl.DataFrame, origins: Sequence[date],
                      percentiles: Sequence[float] = THRESHOLD_PERCENTILES) -> pl.DataFrame:
    """trust_code, origin, percentile, threshold: each trust's percentiles of the year to the
    origin (inclusive), for trusts with at least MIN_HISTORY observed days in it."""
    frames = []
    for origin in sorted(set(origins)):
        year = attendances.filter(pl.col("date") <= origin,
                                  pl.col("date") > origin - timedelta(days=HISTORY_DAYS))
        per_trust = year.group_by("trust_code").agg(
            pl.len().alias("n"),
            *[pl.col("attendances").cast(pl.Float64).quantile(q, "linear").alias(str(q))
              for q in percentiles],
        ).filter(pl.col("n") >= MIN_HISTORY)
        frames.append(per_trust.unpivot([str(q) for q in percentiles], index="trust_code",
                                        variable_name="percentile", value_name="threshold")
                      .with_columns(origin=pl.lit(origin),
                                    percentile=pl.col("percentile").cast(pl.Float64)))
    if not frames:
        return pl.DataFrame(schema={"trust_code": pl.String, "percentile": pl.Float64,
                                    "threshold": pl.Float64, "origin": pl.Date})
    return pl.concat(frames)


def exceedance_rows(forecasts: pl.DataFrame, attendances: pl.DataFrame) -> pl.DataFrame:
    """Backtest rows with an actual, one per threshold: model, percentile, p, exceeded."""
    scored = forecasts.filter(pl.col("actual").is_not_null())
    thresholds = origin_thresholds(attendances, scored["origin"].unique().to_list())
    rows = scored.join(thresholds, on=["trust_code", "origin"], how="inner")
    p = prob_exceed(rows.select(KNOT_COLUMNS).to_numpy(), rows["threshold"].to_numpy())
    return rows.select("model", "percentile").with_columns(
        p=pl.Series(p), exceeded=(rows["actual"] > rows["threshold"]))


def reliability(forecasts: pl.DataFrame, attendances: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Per model: the reliability table (tenths of predicted p), Brier score and the mean
    absolute gap between predicted and observed, weighted by rows."""
    rows = exceedance_rows(forecasts, attendances)
    out: dict[str, dict[str, Any]] = {}
    for model in sorted(rows["model"].unique().to_list()):
        mine = rows.filter(pl.col("model") == model)
        out[model] = {
            "thresholds": "each trust's 80th, 90th and 95th percentile of the year to the origin",
            "n": mine.height,
            "brier": _round(_brier(mine)),
            "calibration_gap": _round(_gap(reliability_table(mine))),
            "bins": reliability_table(mine),
            "by_percentile": [
                {"percentile": q, "n": part.height, "mean_predicted": _round(part["p"].mean()),
                 "observed": _round(part["exceeded"].mean()), "brier": _round(_brier(part))}
                for q in THRESHOLD_PERCENTILES
                if (part := mine.filter(pl.col("percentile") == q)).height
            ],
        }
    return out


def reliability_table(rows: pl.DataFrame) -> list[dict[str, Any]]:
    """Tenths of predicted p: [0, 0.1), ..., [0.9, 1.0]; n, mean predicted, observed share."""
    binned = rows.with_columns(
        bin=(pl.col("p") * BINS).floor().clip(0, BINS - 1).cast(pl.Int32)
    ).group_by("bin").agg(
        pl.len().alias("n"), pl.col("p").mean().alias("mean_predicted"),
        pl.col("exceeded").cast(pl.Float64).mean().alias("observed"),
    ).sort("bin")
    return [{"lo": b / BINS, "hi": (b + 1) / BINS, "n": n, "mean_predicted": _round(mp),
             "observed": _round(obs), "observed_ci95": [_round(v) for v in _wilson(obs, n)]}
            for b, n, mp, obs in binned.iter_rows()]


def _wilson(share: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson interval of an observed share: how far from the diagonal noise alone goes."""
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _brier(rows: pl.DataFrame) -> float | None:
    if rows.is_empty():
        return None
    p, y = rows["p"].to_numpy(), rows["exceeded"].to_numpy().astype(np.float64)
    return float(np.mean((p - y) ** 2))


def _gap(table: list[dict[str, Any]]) -> float | None:
    total = sum(r["n"] for r in table)
    if not total:
        return None
    return float(sum(r["n"] * abs(r["mean_predicted"] - r["observed"]) for r in table) / total)


def _round(value: Any) -> float | None:
    if value is None or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return round(float(value), 4)
