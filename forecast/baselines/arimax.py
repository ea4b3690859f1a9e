"""Regression with ARIMA errors on temperature, per trust (statsmodels' state-space SARIMAX).

    y(t) = weekday effects + b1 T(t) + b2 HDD(t) + b3 CDD(t) + u(t),  u ~ ARIMA(1,1,1)

HDD/CDD are the cold and heat degree-days of `features.temperature.degree_days` (below 5 C,
above 20 C: the LightGBM features' definition). The regression
coefficients live in the state vector (`mle_regression=False`): the Kalman filter estimates
them, only the ARMA terms are optimised, which makes a fit about 1 s instead of 5-15 s, and
`predict` updates them with each new day. Temperature for the forecast days is read from the
input (perfect foresight in a backtest; the weather forecast live). A trust without
temperature gets weekday effects only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl
from statsmodels.tsa.statespace.sarimax import SARIMAX

from features.temperature import degree_days
from forecast.baselines._panel import MAX_CALIBRATED_HORIZON, residual_triples
from forecast.baselines._pertrust import INIT_DAYS, PerTrustModel
from forecast.baselines._statespace import state_paths
from forecast.intervals import FloatArray, IntArray
from forecast.protocol import ModelInput, TrustCode

ORDER = (1, 1, 1)


@dataclass(frozen=True)
class ArimaxFit:
    code: TrustCode
    start: date
    params: FloatArray
    with_temperature: bool
    residuals: tuple[IntArray, FloatArray, FloatArray]


@dataclass(frozen=True)
class ArimaxFitJob:
    code: TrustCode
    start: date
    series: FloatArray
    exog: FloatArray  # rows for the series' days
    calibration_days: int


@dataclass(frozen=True)
class ArimaxPredictJob:
    fit: ArimaxFit
    series: FloatArray
    exog: FloatArray  # rows for the series' days and then the horizon's
    horizon: int


def design(start: date, days: int, temperature: FloatArray | None) -> FloatArray:
    """Weekday dummies (Monday is the baseline), then temperature, HDD (cold degree-days),
    CDD (heat degree-days), in tens of C."""
    weekday = (start.weekday() + np.arange(days)) % 7
    columns = [(weekday == d).astype(float) for d in range(1, 7)]
    if temperature is not None:
        heat, cold = degree_days(temperature)
        columns += [temperature / 10.0, cold / 10.0, heat / 10.0]
    return np.column_stack(columns)


def _model(series: FloatArray, exog: FloatArray) -> SARIMAX:
    return SARIMAX(series, exog=exog, order=ORDER, trend="n", mle_regression=False,
                   concentrate_scale=True)


def fit_trust(job: ArimaxFitJob) -> ArimaxFit:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = _model(job.series, job.exog).fit(disp=False)
        origins = np.arange(max(INIT_DAYS, job.series.size - job.calibration_days
                                - MAX_CALIBRATED_HORIZON), job.series.size - 1, dtype=np.int64)
        paths = state_paths(results, origins, MAX_CALIBRATED_HORIZON)
    residuals = residual_triples(origins, paths, job.series)
    return ArimaxFit(job.code, job.start, np.asarray(results.params), job.exog.shape[1] > 6,
                     residuals)


def forecast_trust(job: ArimaxPredictJob) -> FloatArray:
    n = job.series.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = _model(job.series, job.exog[:n]).filter(job.fit.params)
        return np.asarray(results.forecast(job.horizon, exog=job.exog[n:n + job.horizon]))


class ARIMAX(PerTrustModel):
    """Per-trust regression on weekday and temperature with ARIMA(1,1,1) errors."""

    name = "arimax"

    def __init__(self, window_days: int = 2 * 365, min_history_days: int = 56,
                 calibration_days: int = 84, n_jobs: int = 2) -> None:
        super().__init__(fit_trust, forecast_trust, window_days, min_history_days,
                         calibration_days, n_jobs)

    def fit_job(self, data: ModelInput, code: TrustCode, start: date,
                series: FloatArray) -> ArimaxFitJob:
        temperature = trust_temperature(data.temperature, code, start, series.size)
        return ArimaxFitJob(code, start, series, design(start, series.size, temperature),
                            self.calibration_days)

    def predict_job(self, data: ModelInput, fit: ArimaxFit, series: FloatArray,
                    origin: date, horizon: int) -> ArimaxPredictJob:  # noqa: ARG002
        days = series.size + horizon
        temperature = (trust_temperature(data.temperature, fit.code, fit.start, days)
                       if fit.with_temperature else None)
        return ArimaxPredictJob(fit, series, design(fit.start, days, temperature), horizon)


def trust_temperature(frame: pl.DataFrame | None, code: TrustCode, start: date,
                      days: int) -> FloatArray | None:
    """The trust's daily temperature over start..start+days-1, gaps interpolated; None if
    the trust has none at all."""
    if frame is None:
        return None
    rows = frame.filter(pl.col("trust_code") == code)
    if rows.is_empty():
        return None
    grid = pl.DataFrame({"date": pl.date_range(start, start + timedelta(days=days - 1), "1d",
                                               eager=True)})
    filled = grid.join(rows.select("date", "temperature_c"), on="date", how="left").with_columns(
        pl.col("temperature_c").interpolate().forward_fill().backward_fill())
    values = filled["temperature_c"].to_numpy().astype(float)
    return None if np.isnan(values).all() else values
