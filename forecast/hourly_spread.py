"""Spreading a day's forecast over its hours, with intervals that carry both uncertainties.

The hourly point is the day's point times the hour's share. An hour's count is uncertain for
two reasons: the day's total is (the daily predictive distribution), and, given the total, how
it falls across the hours is (arrivals given their day's total are multinomial over the hours,
a little over-dispersed). So an hour's predictive distribution is the mixture, over the daily
distribution, of beta-binomial(total, share, CONCENTRATION) counts; its quantiles are the
hourly intervals (whole numbers: they bound a count).

Cheaply: the daily distribution is read from its five published quantiles (lo95, lo80, point,
hi80, hi95 at levels 0.025, 0.1, 0.5, 0.9, 0.975) as a quantile function piecewise linear in
the normal score, extended past the 95% band with the outer slopes, and sampled at
DAILY_LEVELS evenly spaced levels. The mixture's CDF is the average of the beta-binomial CDFs
(closed-form pmf, cumulative sum) over counts up to well past the busiest hour's 97.5% point:
32 x 24 x K numbers, 5-30 ms on this machine.

CONCENTRATION: on Cardiff's hourly data the variance of an hour's count around total x share
is 1.04 times the multinomial's at ~360 a day; a beta-binomial with concentration 9000 has that
dispersion there (1 + (n - 1) / (c + 1)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import gammaln, ndtri

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CONCENTRATION = 9000.0
DAILY_LEVELS = 32
KNOT_LEVELS = np.array([0.025, 0.1, 0.5, 0.9, 0.975])
KNOT_Z = ndtri(KNOT_LEVELS)
HOURLY_LEVELS = {"lo95": 0.025, "lo80": 0.1, "hi80": 0.9, "hi95": 0.975}


@dataclass(frozen=True)
class DayForecast:
    """One day's forecast as the API serves it."""

    point: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


@dataclass(frozen=True)
class HourlySpread:
    """Per hour: point (day point x share) and interval bounds (whole counts)."""

    point: FloatArray
    lo80: IntArray
    hi80: IntArray
    lo95: IntArray
    hi95: IntArray


def daily_quantiles(day: DayForecast, levels: FloatArray) -> FloatArray:
    """The day's total at `levels`: linear in the normal score between the five knots,
    extended with the outer slopes, floored at zero and kept non-decreasing."""
    knots = np.maximum.accumulate(np.array([day.lo95, day.lo80, day.point, day.hi80, day.hi95]))
    z = ndtri(levels)
    inside = np.interp(z, KNOT_Z, knots)
    low_slope = (knots[1] - knots[0]) / (KNOT_Z[1] - KNOT_Z[0])
    high_slope = (knots[4] - knots[3]) / (KNOT_Z[4] - KNOT_Z[3])
    values = np.where(z < KNOT_Z[0], knots[0] + (z - KNOT_Z[0]) * low_slope, inside)
    values = np.where(z > KNOT_Z[-1], knots[-1] + (z - KNOT_Z[-1]) * high_slope, values)
    return np.asarray(np.maximum(values, 0.0))


def spread_day(
    day: DayForecast, shares: FloatArray, *, concentration: float = CONCENTRATION
) -> HourlySpread:
    """The day's forecast over hours with `shares` (summing to 1)."""
    levels = (np.arange(DAILY_LEVELS) + 0.5) / DAILY_LEVELS
    totals = np.rint(daily_quantiles(day, levels)).astype(np.int64)  # (M,)
    cdf = _mixture_cdf(totals, shares, concentration)  # (H, K + 1)
    bounds = {name: _first_at(cdf, level) for name, level in HOURLY_LEVELS.items()}
    point = day.point * shares
    return HourlySpread(
        point=point,
        lo80=np.minimum(bounds["lo80"], np.floor(point).astype(np.int64)),
        hi80=np.maximum(bounds["hi80"], np.ceil(point).astype(np.int64)),
        lo95=np.minimum(bounds["lo95"], bounds["lo80"]),
        hi95=np.maximum(bounds["hi95"], bounds["hi80"]),
    )


def _first_at(cdf: FloatArray, level: float) -> IntArray:
    """The smallest count whose CDF reaches `level`, per hour (the last count if none does)."""
    reached = cdf >= level - 1e-12
    first = np.argmax(reached, axis=1)
    return np.asarray(np.where(reached.any(axis=1), first, cdf.shape[1] - 1), dtype=np.int64)


def _count_limit(totals: IntArray, shares: FloatArray) -> int:
    """Counts above this have negligible probability in any hour (far past the 97.5% point)."""
    mean = float(totals.max()) * float(shares.max())
    return int(min(totals.max(), np.ceil(mean + 6 * np.sqrt(mean) + 6)))


def _mixture_cdf(totals: IntArray, shares: FloatArray, concentration: float) -> FloatArray:
    """Mean over daily totals of the beta-binomial CDF of every hour, counts 0..K."""
    limit = _count_limit(totals, shares)
    k = np.arange(limit + 1, dtype=np.float64)[None, None, :]  # (1, 1, K+1)
    n = totals.astype(np.float64)[:, None, None]  # (M, 1, 1)
    p = np.clip(shares, 1e-9, 1 - 1e-9)[None, :, None]  # (1, H, 1)
    a, b = concentration * p, concentration * (1 - p)
    valid = k <= n
    kk = np.minimum(k, n)
    log_pmf = (
        gammaln(n + 1) - gammaln(kk + 1) - gammaln(n - kk + 1)
        + gammaln(kk + a) + gammaln(n - kk + b) - gammaln(n + a + b)
        + gammaln(a + b) - gammaln(a) - gammaln(b)
    )
    pmf = np.where(valid, np.exp(log_pmf), 0.0)
    return np.asarray(np.cumsum(pmf, axis=2).mean(axis=0))
