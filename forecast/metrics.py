"""Forecast accuracy as pure functions with one signature, joined by `evaluate`.

Every metric takes a backtest frame (`forecast.backtest.BACKTEST_COLUMNS`) and the grouping
columns, and returns one row per group: the `by` columns and one column named after the metric.
Rows whose `actual` is null (a missing day) are never scored.

Choices worth knowing:
- `mape` is a fraction (0.05 = 5%) and skips zero actuals.
- `mase` divides each trust's MAE by that trust's in-sample MAE of the seasonal naive (lag 7)
  forecast (`with_mase_scale`), then averages over trusts: every trust weighs the same, big or
  small. The scale uses each trust's history up to the first origin (a trust that appears later
  uses its history up to the last origin); a trust with no lag-7 pair is left out of MASE.
- `pinball` averages the quantile loss over the four interval bounds and the point (as median).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import reduce

import polars as pl

from forecast.protocol import INTERVAL_LEVELS

Metric = Callable[[pl.DataFrame, Sequence[str]], pl.DataFrame]

ERROR = pl.col("point") - pl.col("actual")
QUANTILE_COLUMNS: dict[str, float] = {**INTERVAL_LEVELS, "point": 0.5}


def _scored(df: pl.DataFrame) -> pl.DataFrame:
    return df.filter(pl.col("actual").is_not_null() & pl.col("point").is_not_null())


def _aggregate(df: pl.DataFrame, by: Sequence[str], expr: pl.Expr) -> pl.DataFrame:
    if by:
        return df.group_by(list(by)).agg(expr).sort(list(by))
    return df.select(expr)


def mae(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    return _aggregate(_scored(df), by, ERROR.abs().mean().alias("mae"))


def bias(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Mean of point minus actual: positive means over-forecasting."""
    return _aggregate(_scored(df), by, ERROR.mean().alias("bias"))


def mape(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    rows = _scored(df).filter(pl.col("actual") != 0)
    return _aggregate(rows, by, (ERROR.abs() / pl.col("actual")).mean().alias("mape"))


def mase(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Mean over trusts of (trust MAE / trust seasonal-naive scale); needs `mase_scale`."""
    if "mase_scale" not in df.columns:
        raise ValueError("mase needs a 'mase_scale' column: call with_mase_scale(...) first")
    rows = _scored(df).filter(pl.col("mase_scale") > 0)
    per_trust = rows.group_by([*by, "trust_code"]).agg(
        (ERROR.abs().mean() / pl.col("mase_scale").first()).alias("mase"))
    return _aggregate(per_trust, by, pl.col("mase").mean())


def _coverage(df: pl.DataFrame, by: Sequence[str], level: int) -> pl.DataFrame:
    inside = pl.col("actual").is_between(pl.col(f"lo{level}"), pl.col(f"hi{level}"))
    return _aggregate(_scored(df), by, inside.cast(pl.Float64).mean().alias(f"coverage{level}"))


def coverage80(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    return _coverage(df, by, 80)


def coverage95(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    return _coverage(df, by, 95)


def pinball(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Quantile loss averaged over lo95, lo80, point (0.5), hi80, hi95."""
    gaps = {c: pl.col("actual") - pl.col(c) for c in QUANTILE_COLUMNS}
    losses = [pl.max_horizontal(q * gaps[c], (q - 1) * gaps[c])
              for c, q in QUANTILE_COLUMNS.items()]
    loss = pl.sum_horizontal(losses) / len(losses)
    return _aggregate(_scored(df), by, loss.mean().alias("pinball"))


def width80(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    return _aggregate(_scored(df), by, (pl.col("hi80") - pl.col("lo80")).mean().alias("width80"))


def width95(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    return _aggregate(_scored(df), by, (pl.col("hi95") - pl.col("lo95")).mean().alias("width95"))


def n_scored(df: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """How many rows were scored (actual present)."""
    return _aggregate(_scored(df), by, pl.len().cast(pl.Int64).alias("n"))


ALL_METRICS: list[Metric] = [mae, mape, mase, coverage80, coverage95, pinball, width80, width95,
                             bias, n_scored]


def evaluate(df: pl.DataFrame, metrics: Sequence[Metric] = tuple(ALL_METRICS),
             by: Sequence[str] = ("model",)) -> pl.DataFrame:
    """One row per group, one column per metric."""
    frames = [metric(df, by) for metric in metrics]
    if not by:
        return pl.concat(frames, how="horizontal")
    joined = reduce(lambda a, b: a.join(b, on=list(by), how="full", coalesce=True), frames)
    return joined.sort(list(by))


def by_horizon(df: pl.DataFrame, metrics: Sequence[Metric] = tuple(ALL_METRICS)) -> pl.DataFrame:
    return evaluate(df, metrics, by=["model", "horizon"])


def by_weekday(df: pl.DataFrame, metrics: Sequence[Metric] = tuple(ALL_METRICS)) -> pl.DataFrame:
    """Grouped by the forecast day's weekday, 1 = Monday .. 7 = Sunday."""
    frame = df.with_columns(pl.col("date").dt.weekday().cast(pl.Int32).alias("weekday"))
    return evaluate(frame, metrics, by=["model", "weekday"])


def by_month(df: pl.DataFrame, metrics: Sequence[Metric] = tuple(ALL_METRICS)) -> pl.DataFrame:
    """Grouped by the forecast day's calendar month, 1..12."""
    frame = df.with_columns(pl.col("date").dt.month().cast(pl.Int32).alias("month"))
    return evaluate(frame, metrics, by=["model", "month"])


def seasonal_naive_scale(attendances: pl.DataFrame, up_to: date, lag: int = 7) -> pl.DataFrame:
    """Per trust: mean |y(t) - y(t - lag)| over days up to `up_to` where both days are observed."""
    history = attendances.filter(pl.col("date") <= up_to).select(
        "trust_code", "date", pl.col("attendances").cast(pl.Float64))
    earlier = history.with_columns(pl.col("date") + pl.duration(days=lag))
    pairs = history.join(earlier, on=["trust_code", "date"], suffix="_lag")
    return pairs.group_by("trust_code").agg(
        (pl.col("attendances") - pl.col("attendances_lag")).abs().mean().alias("mase_scale"))


def with_mase_scale(df: pl.DataFrame, attendances: pl.DataFrame) -> pl.DataFrame:
    """Add `mase_scale` per trust from history up to the first origin (see module notes)."""
    if df.is_empty():
        return df.with_columns(pl.lit(None, dtype=pl.Float64).alias("mase_scale"))
    first, last = df["origin"].min(), df["origin"].max()
    assert isinstance(first, date) and isinstance(last, date)
    early = seasonal_naive_scale(attendances, first)
    late = seasonal_naive_scale(attendances, last).rename({"mase_scale": "late"})
    scale = early.join(late, on="trust_code", how="full", coalesce=True).select(
        "trust_code", pl.coalesce("mase_scale", "late").alias("mase_scale"))
    return df.drop("mase_scale", strict=False).join(scale, on="trust_code", how="left")


def true_median(truth: pl.DataFrame) -> pl.DataFrame:
    """trust_code, date, median: the `median` column if given, else the Poisson median."""
    if "median" in truth.columns:
        return truth.select("trust_code", "date", pl.col("median").cast(pl.Float64))
    lam = pl.col("expected").cast(pl.Float64)
    poisson = pl.when(lam > 0).then((lam + 1 / 3 - 0.02 / lam).floor().clip(lower_bound=0))
    return truth.select("trust_code", "date", poisson.otherwise(0.0).alias("median"))


def oracle(df: pl.DataFrame, truth: pl.DataFrame, by: Sequence[str] = ("model",)) -> pl.DataFrame:
    """MAE of forecasting the true median on exactly the rows the model is scored on.

    Returns the `by` columns, `oracle_mae`, `model_mae` (on the same rows) and `n_oracle`. Rows
    without a truth value are left out of both, so the ratio compares like with like.
    """
    rows = _scored(df).join(true_median(truth), on=["trust_code", "date"], how="inner")
    exprs = [
        (pl.col("median") - pl.col("actual")).abs().mean().alias("oracle_mae"),
        ERROR.abs().mean().alias("model_mae"),
        pl.len().cast(pl.Int64).alias("n_oracle"),
    ]
    return rows.group_by(list(by)).agg(exprs).sort(list(by)) if by else rows.select(exprs)
