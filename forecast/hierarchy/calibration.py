"""Interval calibration for one level of a hierarchy, with the season in the error's size.

Why: an aggregate's error is mostly the shocks its trusts share (respiratory waves, cold snaps),
and those come in winter. Measured on synthetic data, the nation's relative error in November to
March was 3.7 times its summer size, a region's 2.3 times, an ICS's 1.5 times, a trust's 1.15
times. A calibrator fitted on the weeks before a refit in September therefore makes the top
levels' winter intervals far too narrow. Here the errors of a whole year are standardised with
the usual variance model (a*mu + b*mu^2 per horizon), then a smooth annual curve in the target
date's day of year, m(t) = exp(c*cos + s*sin), is fitted to the standardised squared errors by
Gaussian likelihood; the conformal quantiles are taken of the errors with that curve divided
out, and each forecast's spread is multiplied back by sqrt(m(t)) for its own date. A level
whose errors do not change with the season gets a flat curve (the fit finds amplitude ~0).

The curve is the average winter; this winter may be harder or milder. `with_recent_errors`
scales the spread by how the last few weeks' standardised errors compare with the year's,
shrunk toward 1 when those weeks are few (the nation's last 6 weeks are about 6 independent
episodes, not 84 errors). Why: the synthetic wave's size is drawn afresh each winter, and a
winter whose nation error was twice the last one's (RMSE 4.4% against 2.1%) left the nation's
80% intervals covering 0.66 (0.71 with the scaling); a milder one than the last left them at
0.87-0.89 (0.82-0.85 with it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from scipy.optimize import minimize

from forecast.intervals import FloatArray, IntArray, ResidualCalibrator

# A year less a few weeks: shorter spans cannot tell a season from a trend, so stay flat.
MIN_SEASONAL_SPAN_DAYS = 300
# Log-variance swings by at most +-1.5: the spread's trough-to-peak ratio is at most exp(1.5), 4.5.
MAX_LOG_AMPLITUDE = 1.5
# Squared standardised errors above this are clipped when fitting the curve (one wild day must
# not set the season); the conformal quantiles still see them whole.
Z2_CLIP = 25.0
DAYS_PER_YEAR = 365.25
# The recent scale is taken between these bounds, then shrunk by n / (n + RECENT_PRIOR) for n
# weekly origins of recent errors.
RECENT_SCALE_BOUNDS = (0.6, 2.5)
RECENT_PRIOR = 2.0


@dataclass(frozen=True)
class SeasonalCalibrator:
    """A `ResidualCalibrator` on de-seasonalised errors and the annual curve put back."""

    inner: ResidualCalibrator
    cos_coef: float = 0.0
    sin_coef: float = 0.0
    typical_z2: float = 1.0   # the mean clipped squared standardised error of the year
    recent_scale: float = 1.0

    @classmethod
    def fit(cls, horizon: IntArray, point: FloatArray, actual: FloatArray,
            target_date: list[date]) -> SeasonalCalibrator:
        """From out-of-sample (horizon, point, actual, date of the forecast day)."""
        keep = np.isfinite(point) & np.isfinite(actual) & (point > 0)
        h, mu, y = horizon[keep], point[keep], actual[keep]
        days = [d for d, k in zip(target_date, keep, strict=True) if k]
        flat = ResidualCalibrator.fit(h, mu, y)
        if not days or (max(days) - min(days)).days < MIN_SEASONAL_SPAN_DAYS:
            return cls(flat, typical_z2=_mean_z2(flat, h, mu, y, np.ones_like(mu)))
        angle = _angle(days)
        z2 = np.minimum(((y - mu) / flat.scale(h, mu)) ** 2, Z2_CLIP)
        c, s = _annual_curve(z2, angle)
        stretch = np.sqrt(_multiplier(angle, c, s))
        inner = ResidualCalibrator.fit(h, mu, mu + (y - mu) / stretch)
        return cls(inner, c, s, _mean_z2(inner, h, mu, y, stretch))

    def with_recent_errors(self, horizon: IntArray, point: FloatArray, actual: FloatArray,
                           target_date: list[date], origins: int) -> SeasonalCalibrator:
        """This calibrator with its spread scaled to the recent errors (from `origins` weekly
        forecast origins): sqrt(their mean squared standardised error over the year's), within
        bounds, shrunk toward 1 by origins / (origins + 2)."""
        keep = np.isfinite(point) & np.isfinite(actual) & (point > 0)
        if not keep.any() or origins < 1:
            return self
        days = [d for d, k in zip(target_date, keep, strict=True) if k]
        stretch = np.sqrt(_multiplier(_angle(days), self.cos_coef, self.sin_coef))
        recent = _mean_z2(self.inner, horizon[keep], point[keep], actual[keep], stretch)
        ratio = float(np.clip(np.sqrt(recent / self.typical_z2), *RECENT_SCALE_BOUNDS))
        weight = origins / (origins + RECENT_PRIOR)
        return replace(self, recent_scale=ratio**weight)

    @property
    def amplitude(self) -> float:
        """The spread at the season's peak over its yearly (geometric) mean; 1.0: no season."""
        return float(np.exp(0.5 * np.hypot(self.cos_coef, self.sin_coef)))

    def intervals(self, horizon: IntArray, point: FloatArray, target_date: list[date]
                  ) -> dict[str, FloatArray]:
        stretch = np.sqrt(_multiplier(_angle(target_date), self.cos_coef, self.sin_coef))
        return self.inner.intervals(horizon, point, stretch * self.recent_scale)


def _mean_z2(calibrator: ResidualCalibrator, horizon: IntArray, point: FloatArray,
             actual: FloatArray, stretch: FloatArray) -> float:
    z = (actual - point) / (calibrator.scale(horizon, point) * stretch)
    return float(np.mean(np.minimum(z**2, Z2_CLIP)))


def _angle(days: list[date]) -> FloatArray:
    ordinal = np.array([d.toordinal() for d in days], dtype=np.float64)
    return np.asarray(2.0 * np.pi * ordinal / DAYS_PER_YEAR)


def _multiplier(angle: FloatArray, c: float, s: float) -> FloatArray:
    return np.asarray(np.exp(c * np.cos(angle) + s * np.sin(angle)))


def _annual_curve(z2: FloatArray, angle: FloatArray) -> tuple[float, float]:
    """(c, s) of log-variance = b0 + c*cos + s*sin by Gaussian likelihood, amplitude capped."""
    design = np.column_stack([np.ones_like(angle), np.cos(angle), np.sin(angle)])

    def loss(beta: FloatArray) -> tuple[float, FloatArray]:
        log_var = design @ beta
        ratio = z2 * np.exp(-log_var)
        value = float(np.sum(log_var + ratio))
        return value, np.asarray(design.T @ (1.0 - ratio))

    start = np.array([float(np.log(np.mean(z2) + 1e-12)), 0.0, 0.0])
    beta = minimize(loss, start, jac=True, method="L-BFGS-B").x
    c, s = float(beta[1]), float(beta[2])
    size = np.hypot(c, s)
    if size > MAX_LOG_AMPLITUDE:
        c, s = c * MAX_LOG_AMPLITUDE / size, s * MAX_LOG_AMPLITUDE / size
    return c, s
