"""What ETS and ARIMAX share: one state-space model per trust, fitted in worker processes,
intervals calibrated on the pooled rolling-origin residuals, seasonal naive for the trusts
with too little history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Protocol

import numpy as np
import polars as pl

from contract.errors import ModelError
from forecast.baselines._panel import Panel, calibrate, forecast_frame, to_panel
from forecast.baselines._parallel import WorkerPool
from forecast.baselines.snaive import SeasonalNaive
from forecast.intervals import FloatArray, IntArray, ResidualCalibrator
from forecast.protocol import ModelInput, TrustCode, empty_forecast

INIT_DAYS = 28  # a fitted model is used only from four weeks after its series starts
NO_RESIDUALS: tuple[IntArray, FloatArray, FloatArray] = (
    np.empty(0, np.int64), np.empty(0), np.empty(0))


class TrustFit(Protocol):
    @property
    def start(self) -> date: ...

    @property
    def residuals(self) -> tuple[IntArray, FloatArray, FloatArray]: ...


class PerTrustModel:
    """Subclasses say how to build one trust's fit and predict jobs, and how to run them."""

    name: str = "per-trust"

    def __init__(self, fit_one: Callable[[Any], Any], forecast_one: Callable[[Any], FloatArray],
                 window_days: int, min_history_days: int, calibration_days: int,
                 n_jobs: int) -> None:
        # module-level functions, so that worker processes can unpickle them
        self._fit_one = fit_one
        self._forecast_one = forecast_one
        self.window_days = window_days
        self.min_history_days = min_history_days
        self.calibration_days = calibration_days
        self._fits: dict[TrustCode, Any] = {}
        self._calibrator: ResidualCalibrator | None = None
        self._fallback = SeasonalNaive(calibration_days)
        self._pool = WorkerPool(n_jobs)

    def fit(self, data: ModelInput) -> None:
        panel = to_panel(data.attendances, "attendances")
        self._fallback.fit(data)
        jobs: dict[TrustCode, Any] = {}
        for j, code in enumerate(panel.trusts):
            window = self._window(panel, j)
            if window is not None:
                jobs[code] = self.fit_job(data, code, *window)
        fits = self._pool.map(self._fit_one, list(jobs.values()))
        parts: list[tuple[IntArray, FloatArray, FloatArray]] = [f.residuals for f in fits]
        if parts:
            horizon, point, actual = (np.concatenate([p[i] for p in parts]) for i in range(3))
            self._calibrator = calibrate(horizon.astype(np.int64), point, actual)
        else:
            self._calibrator = calibrate(np.empty(0, np.int64), np.empty(0), np.empty(0))
        # the residuals are in the calibrator now; keeping them would bloat a pickled model
        self._fits = {code: replace(fit, residuals=NO_RESIDUALS)
                      for code, fit in zip(jobs, fits, strict=True)}

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        if self._calibrator is None:
            raise ModelError(f"{self.name}: predict called before fit")
        history = data.attendances.filter(pl.col("date") <= origin)
        if history.is_empty():
            return empty_forecast()
        panel = to_panel(history, "attendances", end=origin)
        modelled = [c for c in panel.trusts if self._usable(c, origin)]
        jobs = [self.predict_job(data, self._fits[code], self._series(panel, code),
                                 origin, horizon) for code in modelled]
        points = self._pool.map(self._forecast_one, jobs)
        frames = []
        if modelled:
            frames.append(forecast_frame(modelled, origin, np.vstack(points), self._calibrator))
        rest = [j for j, c in enumerate(panel.trusts) if c not in set(modelled)]
        if rest:
            sub = Panel([panel.trusts[j] for j in rest], panel.start, panel.values[:, rest])
            frames.append(self._fallback.forecast_panel(sub, origin, horizon))
        return pl.concat(frames).sort("trust_code", "horizon")

    def close(self) -> None:
        """Stop the worker processes (they also stop when the model is garbage-collected)."""
        self._pool.close()

    def fit_job(self, data: ModelInput, code: TrustCode, start: date, series: FloatArray) -> Any:
        raise NotImplementedError

    def predict_job(self, data: ModelInput, fit: Any, series: FloatArray, origin: date,
                    horizon: int) -> Any:
        raise NotImplementedError

    def _window(self, panel: Panel, j: int) -> tuple[date, FloatArray] | None:
        """The trust's last `window_days`, from its first observed day; None if too short."""
        values = panel.values[:, j]
        lo = max(0, panel.n_days - self.window_days)
        observed = np.flatnonzero(np.isfinite(values[lo:]))
        if observed.size < self.min_history_days:
            return None
        first = lo + int(observed[0])
        return panel.day(first), values[first:]

    def _usable(self, code: TrustCode, origin: date) -> bool:
        fit = self._fits.get(code)
        return fit is not None and origin >= fit.start + timedelta(days=INIT_DAYS)

    def _series(self, panel: Panel, code: TrustCode) -> FloatArray:
        """The trust's history from its fitted start to the origin, NaN where missing."""
        values = panel.values[:, panel.trusts.index(code)]
        offset = panel.index(self._fits[code].start)
        if offset >= 0:
            return values[offset:]
        return np.concatenate([np.full(-offset, np.nan), values])
