"""Scoring served forecasts against the actuals that arrived: the arithmetic of live accuracy
(the store's `accuracy` module reads the served rows and keeps the scores).

A trust and horizon drifts when its live MAE exceeds `DRIFT_RATIO` x the expected MAE with at
least `DRIFT_MIN_N` days scored in the last `WINDOW_DAYS`.
"""

from __future__ import annotations

import polars as pl

from forecast.expectation import Expectation

WINDOW_DAYS = 28
DRIFT_RATIO = 1.5
DRIFT_MIN_N = 14


def score(rows: pl.DataFrame, runs: dict[str, Expectation]) -> pl.DataFrame:
    """Per trust and horizon: n, mae, coverage80/95, expected_mae (+ source) and drift."""
    pairs = [runs[r].expected(c, h, p, lo, hi) for r, c, h, p, lo, hi in zip(
        rows["run_id"], rows["trust_code"], rows["horizon"], rows["point"], rows["lo80"],
        rows["hi80"], strict=True)]
    expected = pl.Series("expected", [e for e, _ in pairs], dtype=pl.Float64)
    source = pl.Series("source", [s for _, s in pairs], dtype=pl.String)
    y = pl.col("attendances").cast(pl.Float64)
    return (
        rows.with_columns(expected, source)
        .group_by("trust_code", "horizon")
        .agg(
            n=pl.len(),
            mae=(pl.col("point") - y).abs().mean(),
            coverage80=y.is_between(pl.col("lo80"), pl.col("hi80")).mean(),
            coverage95=y.is_between(pl.col("lo95"), pl.col("hi95")).mean(),
            expected_mae=pl.col("expected").mean(),
            expected_source=pl.when(pl.col("source").n_unique() == 1)
            .then(pl.col("source").first()).otherwise(pl.lit("mixed")),
        )
        .with_columns(drift=(pl.col("n") >= DRIFT_MIN_N)
                      & (pl.col("mae") > DRIFT_RATIO * pl.col("expected_mae")))
        .sort("trust_code", "horizon")
    )
