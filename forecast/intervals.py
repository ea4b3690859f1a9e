"""Calibrated prediction intervals from out-of-sample residuals (split-conformal, per horizon).

Why this shape: A&E errors have two parts, count noise that grows like sqrt(mu) and model error
(level drift, missed waves) that grows like mu. We fit Var(actual - point) = a*mu + b*mu^2 per
horizon, standardise the residuals with it, and keep the empirical quantiles of the standardised
residuals. Intervals then widen with horizon and scale correctly from small to large trusts, and
the same quantile grid gives exceedance probabilities (`prob_exceed`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import nnls

from forecast.protocol import INTERVAL_LEVELS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Quantile grid kept per horizon; fine enough for exceedance probabilities.
GRID: FloatArray = np.round(np.arange(0.005, 0.9951, 0.005), 6)
NEIGHBOURS = 2  # pool residuals of horizons h-2..h+2: smoother, steadier quantiles


@dataclass(frozen=True)
class ResidualCalibrator:
    """Per-horizon variance model and standardised-residual quantiles."""

    horizons: IntArray          # calibrated horizons 1..H
    poisson_coef: FloatArray    # a_h
    relative_coef: FloatArray   # b_h
    z_quantiles: FloatArray     # shape (H, len(GRID))
    n_residuals: int

    @classmethod
    def fit(cls, horizon: IntArray, point: FloatArray, actual: FloatArray) -> ResidualCalibrator:
        """Fit from out-of-sample (horizon, point, actual) triples; rows with NaN are dropped."""
        keep = np.isfinite(point) & np.isfinite(actual) & (point > 0)
        h, mu, y = horizon[keep].astype(np.int64), point[keep], actual[keep]
        if h.size < 30:
            raise ValueError(f"need at least 30 residuals to calibrate intervals, got {h.size}")
        max_h = int(h.max())
        a = np.ones(max_h)
        b = np.zeros(max_h)
        zq = np.zeros((max_h, GRID.size))
        for i, hh in enumerate(range(1, max_h + 1)):
            near = np.abs(h - hh) <= NEIGHBOURS
            if near.sum() < 30:
                near = np.ones_like(h, dtype=bool)
            a[i], b[i] = _variance_coefficients(mu[near], y[near])
            z = (y[near] - mu[near]) / np.sqrt(a[i] * mu[near] + b[i] * mu[near] ** 2)
            zq[i] = _conformal_quantiles(z)
        return cls(np.arange(1, max_h + 1), a, b, zq, int(h.size))

    def scale(self, horizon: IntArray, point: FloatArray) -> FloatArray:
        idx = self._index(horizon)
        mu = np.maximum(point, 1e-9)
        return np.asarray(np.sqrt(self.poisson_coef[idx] * mu + self.relative_coef[idx] * mu**2))

    def quantile(self, horizon: IntArray, point: FloatArray, level: float,
                 stretch: FloatArray | float = 1.0) -> FloatArray:
        """The `level` quantile of the predictive distribution, floored at zero; `stretch`
        multiplies the spread (a caller's own factor, e.g. the season's)."""
        idx = self._index(horizon)
        z = np.array([np.interp(level, GRID, self.z_quantiles[i]) for i in idx])
        return np.asarray(np.maximum(point + z * stretch * self.scale(horizon, point), 0.0))

    def intervals(self, horizon: IntArray, point: FloatArray,
                  stretch: FloatArray | float = 1.0) -> dict[str, FloatArray]:
        """lo95, lo80, hi80, hi95, ordered around the point whatever the residuals said."""
        out = {name: self.quantile(horizon, point, q, stretch)
               for name, q in INTERVAL_LEVELS.items()}
        out["lo80"] = np.minimum(out["lo80"], point)
        out["lo95"] = np.minimum(out["lo95"], out["lo80"])
        out["hi80"] = np.maximum(out["hi80"], point)
        out["hi95"] = np.maximum(out["hi95"], out["hi80"])
        return out

    def prob_exceed(
        self, horizon: IntArray, point: FloatArray, threshold: FloatArray,
    ) -> FloatArray:
        """P(actual > threshold) under the calibrated predictive distribution."""
        idx = self._index(horizon)
        z = (threshold - point) / self.scale(horizon, point)
        cdf = np.array([np.interp(zi, self.z_quantiles[i], GRID, left=0.0, right=1.0)
                        for i, zi in zip(idx, z, strict=True)])
        return np.asarray(np.clip(1.0 - cdf, 0.0, 1.0))

    def _index(self, horizon: IntArray) -> IntArray:
        # Horizons past the calibrated range reuse the last one (the widest we measured).
        return np.asarray(np.clip(horizon, 1, self.horizons.size) - 1, dtype=np.int64)


def _variance_coefficients(mu: FloatArray, y: FloatArray) -> tuple[float, float]:
    """Non-negative a, b in Var = a*mu + b*mu^2 by least squares on r^2/mu; a >= 0.5."""
    r2 = (y - mu) ** 2
    design = np.column_stack([np.ones_like(mu), mu])
    coef, _ = nnls(design, r2 / mu)
    a, b = float(coef[0]), float(coef[1])
    return max(a, 0.5), b


def _conformal_quantiles(z: FloatArray) -> FloatArray:
    """Empirical quantiles on GRID with the split-conformal finite-sample correction."""
    n = z.size
    levels = np.where(GRID >= 0.5, np.minimum(GRID * (n + 1) / n, 1.0), np.maximum(
        (GRID * (n + 1) - 1) / n, 0.0))
    q = np.quantile(z, levels)
    return np.asarray(np.maximum.accumulate(q))
