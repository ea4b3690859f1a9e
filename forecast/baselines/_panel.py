"""Dense day-by-trust matrices: the shape every baseline computes on.

Missing days are NaN, never zero (docs/usage.md), so gaps flow through the models as "unknown".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from forecast.intervals import GRID, FloatArray, IntArray, ResidualCalibrator
from forecast.protocol import FORECAST_SCHEMA, TrustCode, empty_forecast

MAX_CALIBRATED_HORIZON = 42  # the nightly batch forecasts 42 days; longer reuses day 42


@dataclass(frozen=True)
class Panel:
    """`values[t, j]`: the value of trust `trusts[j]` on day `start + t` (NaN when missing)."""

    trusts: list[TrustCode]
    start: date
    values: FloatArray

    @property
    def n_days(self) -> int:
        return int(self.values.shape[0])

    def index(self, day: date) -> int:
        return (day - self.start).days

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)


def to_panel(frame: pl.DataFrame, value: str, end: date | None = None,
             start: date | None = None) -> Panel:
    """Pivot long (trust_code, date, value) rows to a dense Panel over start..end."""
    if frame.is_empty():
        day = end or start or date(2000, 1, 1)
        return Panel([], start or day, np.empty((0, 0)))
    first = start or frame["date"].min()
    last = end or frame["date"].max()
    assert isinstance(first, date) and isinstance(last, date)
    trusts = sorted(frame["trust_code"].unique().to_list())
    n_days = max((last - first).days + 1, 0)
    values = np.full((n_days, len(trusts)), np.nan)
    rows = frame.filter(pl.col("date").is_between(first, last))
    col = {code: j for j, code in enumerate(trusts)}
    t = rows.select((pl.col("date") - pl.lit(first)).dt.total_days())["date"].to_numpy()
    j = np.array([col[c] for c in rows["trust_code"].to_list()], dtype=np.int64)
    values[t, j] = rows[value].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return Panel(trusts, first, values)


def forward_fill(values: FloatArray) -> FloatArray:
    """Carry the last non-NaN value forward along axis 0."""
    idx = np.where(np.isnan(values), 0, np.arange(values.shape[0])[:, None])
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = np.take_along_axis(values, idx, axis=0)
    return np.asarray(out)


def forecast_frame(trusts: list[TrustCode], origin: date, point: FloatArray,
                   calibrator: ResidualCalibrator) -> pl.DataFrame:
    """FORECAST_COLUMNS rows from a (n_trusts, horizon) point matrix; NaN rows are dropped."""
    n, horizon = point.shape
    if n == 0 or horizon == 0:
        return empty_forecast()
    h = np.tile(np.arange(1, horizon + 1, dtype=np.int64), n)
    flat = np.maximum(point.reshape(-1), 0.0)
    keep = np.isfinite(flat)
    h, flat = h[keep], flat[keep]
    bands = calibrator.intervals(h, flat)
    codes = np.repeat(np.array(trusts, dtype=object), horizon)[keep]
    frame = pl.DataFrame({
        "trust_code": pl.Series(codes.tolist(), dtype=pl.String),
        "origin": pl.Series([origin] * flat.size, dtype=pl.Date),
        "horizon": pl.Series(h, dtype=pl.Int32),
        "point": flat, **bands,
    })
    frame = frame.with_columns(
        date=pl.col("origin") + pl.duration(days=pl.col("horizon")),
    )
    return frame.select(list(FORECAST_SCHEMA)).cast(FORECAST_SCHEMA)  # type: ignore[arg-type]


def calibrate(horizon: IntArray, point: FloatArray, actual: FloatArray) -> ResidualCalibrator:
    """Fit the calibrator, or a cautious default when there are too few residuals."""
    try:
        return ResidualCalibrator.fit(horizon, point, actual)
    except ValueError:
        return default_calibrator()


def default_calibrator(relative_sd: float = 0.10) -> ResidualCalibrator:
    """Gaussian intervals with Var = mu + (relative_sd * mu)^2: for when history is too short."""
    from scipy import stats  # slow to import, rarely needed

    horizons = np.arange(1, MAX_CALIBRATED_HORIZON + 1)
    z = np.tile(stats.norm.ppf(GRID), (horizons.size, 1))
    return ResidualCalibrator(
        horizons, np.ones(horizons.size), np.full(horizons.size, relative_sd**2), z, 0,
    )


def calibration_origins(n_days: int, first_obs: int, days: int, max_horizon: int) -> IntArray:
    """Daily origins over the last `days` (+ horizon) of history, each with >= 1 later actual."""
    lo = max(first_obs + 7, n_days - days - max_horizon)
    return np.arange(lo, n_days - 1, dtype=np.int64)


def residual_triples(origins: IntArray, paths: FloatArray, values: FloatArray
                     ) -> tuple[IntArray, FloatArray, FloatArray]:
    """(horizon, point, actual) for forecasts `paths[k, h-1]` made at day `origins[k]`."""
    n_orig, horizon = paths.shape
    h = np.tile(np.arange(1, horizon + 1), n_orig)
    target = np.repeat(origins, horizon) + h
    inside = target < values.size
    actual = np.full(target.size, np.nan)
    actual[inside] = values[target[inside]]
    return h.astype(np.int64), paths.reshape(-1), actual
