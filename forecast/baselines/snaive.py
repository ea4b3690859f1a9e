"""Seasonal naive (lag 7): tomorrow looks like the same weekday last week.

For horizons beyond a week the last observed week repeats. A missing day falls back to the
latest observed value on the same weekday, then to the latest observed value of any day.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from contract.errors import ModelError
from forecast.baselines._panel import (
    MAX_CALIBRATED_HORIZON,
    Panel,
    calibrate,
    forecast_frame,
    forward_fill,
    to_panel,
)
from forecast.intervals import FloatArray, IntArray, ResidualCalibrator
from forecast.protocol import ModelInput, empty_forecast

SEASON = 7


def snaive_paths(values: FloatArray, origins: IntArray, horizon: int) -> FloatArray:
    """Forecasts of shape (n_origins, horizon, n_trusts) made at day indices `origins`."""
    same_weekday = np.empty_like(values)
    for phase in range(SEASON):
        same_weekday[phase::SEASON] = forward_fill(values[phase::SEASON])
    any_day = forward_fill(values)
    h = np.arange(1, horizon + 1)
    lag = SEASON * np.ceil(h / SEASON).astype(np.int64)
    source = origins[:, None] + h[None, :] - lag[None, :]  # within the week ending at origin
    point = same_weekday[np.maximum(source, 0)]
    point[source < 0] = np.nan  # history shorter than a week
    fallback = np.broadcast_to(any_day[origins][:, None, :], point.shape)
    return np.asarray(np.where(np.isfinite(point), point, fallback))


def snaive_calibrator(panel: Panel, days: int) -> ResidualCalibrator:
    """Calibrate on rolling daily origins over the last `days` of the panel, all trusts pooled."""
    return snaive_holdout(panel, days)[0]


def snaive_holdout(panel: Panel, days: int) -> tuple[ResidualCalibrator, dict[str, float]]:
    """The calibrator and each trust's MAE over the same rolling origins (its recent skill)."""
    residuals, mae = snaive_residuals(panel, days)
    return calibrate(*residuals), mae


def snaive_residuals(panel: Panel, days: int
                     ) -> tuple[tuple[IntArray, FloatArray, FloatArray], dict[str, float]]:
    """(horizon, point, actual) over rolling daily origins in the last `days`, and each trust's
    MAE there; pooled over partitions of trusts, they calibrate exactly as one panel would."""
    n = panel.n_days
    origins = np.arange(max(SEASON, n - days - MAX_CALIBRATED_HORIZON), n - 1, dtype=np.int64)
    if origins.size == 0:
        return (np.empty(0, np.int64), np.empty(0), np.empty(0)), {}
    paths = snaive_paths(panel.values, origins, MAX_CALIBRATED_HORIZON)
    h = np.arange(1, MAX_CALIBRATED_HORIZON + 1)
    target = origins[:, None] + h[None, :]
    padded = np.vstack([panel.values, np.full((MAX_CALIBRATED_HORIZON, len(panel.trusts)), np.nan)])
    actual = padded[target]
    horizon = np.broadcast_to(h[None, :, None], paths.shape)
    errors = np.abs(paths - actual).reshape(-1, len(panel.trusts))
    seen = np.isfinite(errors).sum(axis=0)
    total = np.nansum(errors, axis=0)
    mae = {code: float(total[j] / seen[j]) for j, code in enumerate(panel.trusts) if seen[j]}
    triples = (horizon.reshape(-1).astype(np.int64), paths.reshape(-1), actual.reshape(-1))
    return triples, mae


class SeasonalNaive:
    """The benchmark every model must beat; its intervals come from its own recent errors."""

    name = "snaive"

    def __init__(self, calibration_days: int = 84) -> None:
        self.calibration_days = calibration_days
        self._calibrator: ResidualCalibrator | None = None
        self.holdout_mae: dict[str, float] = {}

    def fit(self, data: ModelInput) -> None:
        panel = to_panel(data.attendances, "attendances")
        self._calibrator, self.holdout_mae = snaive_holdout(panel, self.calibration_days)

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        if self._calibrator is None:
            raise ModelError("snaive: predict called before fit")
        history = data.attendances.filter(pl.col("date") <= origin)
        if history.is_empty():
            return empty_forecast()
        panel = to_panel(history, "attendances", end=origin)
        return self.forecast_panel(panel, origin, horizon)

    def forecast_panel(self, panel: Panel, origin: date, horizon: int) -> pl.DataFrame:
        """Forecast every trust of a panel that ends at `origin` (used as a fallback by others)."""
        assert self._calibrator is not None
        last = np.array([panel.n_days - 1], dtype=np.int64)
        point = snaive_paths(panel.values, last, horizon)[0].T
        return forecast_frame(panel.trusts, origin, point, self._calibrator)
