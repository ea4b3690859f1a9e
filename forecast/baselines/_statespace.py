"""Many-origin forecasts from one Kalman filter pass, for cheap out-of-sample residuals.

After one filter over a trust's history, the predicted state a(t+1|t) at every day t is known;
an h-step forecast from origin t is Z(t+h) T^(h-1) a(t+1|t) (+ intercepts). That gives rolling-
origin forecasts for calibration without re-running the filter per origin.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from forecast.intervals import FloatArray, IntArray


def state_paths(results: Any, origins: IntArray, horizon: int) -> FloatArray:
    """Forecasts (n_origins, horizon) from day indices `origins`; NaN past the data's end."""
    ssm = results.model.ssm
    n = int(results.model.nobs)
    transition = _constant(ssm["transition"])
    state_intercept = _constant(ssm["state_intercept"]).reshape(-1, 1)
    design = np.asarray(ssm["design"])
    obs_intercept = np.asarray(ssm["obs_intercept"])
    state = np.asarray(results.predicted_state)[:, origins + 1]
    out = np.full((origins.size, horizon), np.nan)
    for step in range(horizon):
        target = origins + 1 + step
        inside = target < n
        at = np.minimum(target, n - 1)
        z = design[0][:, at] if design.ndim == 3 else np.repeat(design[0][:, None], at.size, 1)
        d = obs_intercept[0][at] if obs_intercept.ndim == 2 else np.full(at.size, obs_intercept[0])
        value = np.einsum("kn,kn->n", z, state) + d
        out[inside, step] = value[inside]
        state = transition @ state + state_intercept
    return out


def _constant(matrix: Any) -> FloatArray:
    """A system matrix that must not vary in time (transition, state intercept)."""
    arr = np.asarray(matrix, dtype=np.float64)
    if arr.ndim == 3:
        if arr.shape[2] != 1:
            raise ValueError("time-varying transition matrices are not supported")
        arr = arr[:, :, 0]
    elif arr.ndim == 2 and arr.shape[1] != arr.shape[0]:
        if arr.shape[1] != 1:
            raise ValueError("time-varying state intercepts are not supported")
        arr = arr[:, 0]
    return arr
