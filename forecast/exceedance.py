"""P(attendances > N) from the five quantiles every forecast carries.

Every model, fallbacks included, serves per day `lo95, lo80, point, hi80, hi95`: the 2.5%, 10%,
50%, 90% and 97.5% quantiles of its calibrated predictive distribution (the point stands in for
the median, as in the backtest's calibration table). Reading the distribution back from those
five knots needs no model at serving time, costs microseconds per day, and gives the same answer
in the API, the alerts and the backtest's reliability table, so the table checks exactly what is
served.

Between knots the quantile function is linear in the normal score z = Phi^-1(level) (exact for a
normal distribution, close for the skewed ones conformal calibration finds); beyond the outer
knots it carries on with the outer segment's slope (a normal tail at the 95% spread). Knots that
coincide (a flat interval) make a step, never a division by zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

from forecast.protocol import INTERVAL_LEVELS

FloatArray = npt.NDArray[np.float64]

KNOT_COLUMNS: tuple[str, ...] = ("lo95", "lo80", "point", "hi80", "hi95")
KNOT_LEVELS: FloatArray = np.array(
    [INTERVAL_LEVELS["lo95"], INTERVAL_LEVELS["lo80"], 0.5, INTERVAL_LEVELS["hi80"],
     INTERVAL_LEVELS["hi95"]]
)
KNOT_Z: FloatArray = np.asarray(ndtri(KNOT_LEVELS), dtype=np.float64)
_MIN_SPREAD = 1e-9


def prob_exceed(knots: FloatArray, threshold: FloatArray | float) -> FloatArray:
    """P(actual > threshold) per row; `knots` has shape (n, 5) in KNOT_COLUMNS order.

    `threshold` is one number or one per row. Rows must be ordered lo95 <= ... <= hi95 (as every
    stored forecast is); the result is in [0, 1] and falls as the threshold rises.
    """
    values = np.asarray(knots, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != len(KNOT_COLUMNS):
        raise ValueError(f"knots must have shape (n, {len(KNOT_COLUMNS)}), got {values.shape}")
    n = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (values.shape[0],))
    rows = np.arange(values.shape[0])
    # Segment: the last knot at or below the threshold (ties: P(Y > N) is read above the step),
    # clipped to the outer segments, which carry on linearly beyond the outer knots.
    below = (values <= n[:, None]).sum(axis=1)
    seg = np.clip(below - 1, 0, len(KNOT_COLUMNS) - 2)
    lo, hi = values[rows, seg], values[rows, seg + 1]
    z_lo, z_hi = KNOT_Z[seg], KNOT_Z[seg + 1]
    spread = hi - lo
    flat = spread < _MIN_SPREAD
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(flat, 0.0, z_lo + (n - lo) * (z_hi - z_lo) / np.where(flat, 1.0, spread))
    # A flat segment is a step: above it when N reaches it, below it otherwise.
    z = np.where(flat & (n >= hi), np.where(seg + 1 == len(KNOT_COLUMNS) - 1, np.inf, z_hi), z)
    z = np.where(flat & (n < lo), -np.inf, z)
    return np.asarray(np.clip(1.0 - ndtr(z), 0.0, 1.0), dtype=np.float64)


def prob_exceed_rows(rows: Sequence[Sequence[float]], threshold: float) -> list[float]:
    """The same for a few rows of plain numbers (the API's served days)."""
    if not rows:
        return []
    return [float(p) for p in prob_exceed(np.asarray(rows, dtype=np.float64), threshold)]
