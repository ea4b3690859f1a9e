"""Daily mean temperature per region and trust, and what temperature does to demand.

Each region has a seasonal climatology plus AR(1) anomalies (phi 0.8) that mostly share a
national component, plus occasional heat waves (June-August) and cold snaps (December-February).
Trusts take their region's temperature plus a small fixed local offset and a little daily noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from synthetic_data.calendar_effects import BoolArray, Calendar, FloatArray, IntArray
from synthetic_data.calibration import Region

# Annual mean and amplitude (°C) of the daily mean: about 4-5 in winter, 16-18 in summer.
CLIMATE: dict[Region, tuple[float, float]] = {
    "North East and Yorkshire": (9.6, 5.9),
    "North West": (10.0, 5.6),
    "Midlands": (10.2, 6.1),
    "East of England": (10.6, 6.4),
    "London": (11.8, 6.6),
    "South East": (11.0, 6.2),
    "South West": (11.0, 5.2),
}
# How strongly national heat waves and cold snaps reach each region.
HEAT_SCALE = {
    "London": 1.2,
    "South East": 1.15,
    "East of England": 1.1,
    "Midlands": 1.0,
    "South West": 0.9,
    "North West": 0.8,
    "North East and Yorkshire": 0.75,
}
COLD_SCALE = {
    "London": 0.9,
    "South East": 0.95,
    "East of England": 1.05,
    "Midlands": 1.1,
    "South West": 0.8,
    "North West": 1.0,
    "North East and Yorkshire": 1.15,
}
WARMEST_DAY = 201  # about 20 July
PHI = 0.8
REGIONAL_SHARE = 0.9  # of the national anomaly in each region's anomaly

HEAT_THRESHOLD_C = 20.0
HEAT_PER_DEGREE = 0.012  # log-demand per lagged degree above the threshold
HEAT_LAGS = np.array([0.5, 0.3, 0.2])
COLD_THRESHOLD_C = 2.0
COLD_PER_DEGREE = 0.008  # log-demand per lagged degree below the threshold
COLD_LAGS = np.array([0.25, 0.2, 0.16, 0.13, 0.1, 0.09, 0.07])
MAX_LAG = max(len(HEAT_LAGS), len(COLD_LAGS)) - 1


def ar1(innovations: FloatArray, phi: float) -> FloatArray:
    """AR(1) along the last axis by convolution (no loop over days); the first 120 are burn-in."""
    kernel = phi ** np.arange(120)
    series = np.stack([np.convolve(row, kernel)[: row.size] for row in innovations])
    result: FloatArray = series[:, 120:]
    return result


def regional_temperature(
    cal: Calendar, regions: Sequence[Region], rng: np.random.Generator
) -> FloatArray:
    """Daily mean temperature (°C), shaped (regions, days)."""
    n_days = len(cal)
    doy = cal.day_of_year.astype(np.float64)
    omega = 2.0 * np.pi / 365.25
    anomaly_sd = 2.4 + 0.5 * np.cos(omega * (doy - 15.0))  # winters are more variable
    national = ar1(rng.normal(size=(1, n_days + 120)), PHI) * np.sqrt(1 - PHI**2)
    local = ar1(rng.normal(size=(len(regions), n_days + 120)), 0.7) * np.sqrt(1 - 0.7**2)
    anomaly = REGIONAL_SHARE * national + np.sqrt(1 - REGIONAL_SHARE**2) * local
    heat = _events(cal, rng, months=(6, 7, 8), rate=1.0, days=(3, 8), size=(4.0, 9.0))
    cold = _events(cal, rng, months=(12, 1, 2), rate=0.7, days=(4, 12), size=(-8.0, -4.0))
    rows = []
    for i, region in enumerate(regions):
        mean, amplitude = CLIMATE[region]
        climate = mean + amplitude * np.cos(omega * (doy - WARMEST_DAY))
        rows.append(
            climate
            + anomaly_sd * anomaly[i]
            + HEAT_SCALE[region] * heat
            + COLD_SCALE[region] * cold
        )
    return np.stack(rows)


def _events(
    cal: Calendar,
    rng: np.random.Generator,
    months: tuple[int, ...],
    rate: float,
    days: tuple[int, int],
    size: tuple[float, float],
) -> FloatArray:
    """Heat waves or cold snaps: a few smooth bumps a year within the given months."""
    bumps = np.zeros(len(cal))
    in_season = np.isin(cal.month, months)
    year = cal.dates.astype("datetime64[Y]").astype(np.int64)
    position = np.arange(len(cal), dtype=np.float64)
    for y in np.unique(year):
        candidates = np.flatnonzero(in_season & (year == y))
        for _ in range(rng.poisson(rate) if candidates.size else 0):
            start = float(rng.choice(candidates))
            length = float(rng.integers(days[0], days[1] + 1))
            phase = (position - start + 0.5) / length
            inside: BoolArray = (phase > 0) & (phase < 1)
            shape = np.where(inside, np.sin(np.pi * np.clip(phase, 0, 1)), 0.0)
            bumps += shape * rng.uniform(*size)
    return bumps


def trust_temperature(
    regional: FloatArray, region_index: IntArray, rng: np.random.Generator
) -> FloatArray:
    """Each trust: its region's temperature, a fixed local offset, daily noise; 0.1 °C."""
    offset = rng.normal(0.0, 0.5, size=(region_index.size, 1))
    noise = rng.normal(0.0, 0.35, size=(region_index.size, regional.shape[1]))
    result: FloatArray = np.round(regional[region_index] + offset + noise, 1)
    return result


def temperature_effect(temperature: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Demand multiplier from lagged heat and cold degree-days, with trust sensitivities.

    The first MAX_LAG days use a partly filled lag window; callers simulate a lead-in.
    """
    n_trusts = temperature.shape[0]
    heat = _lagged(np.maximum(temperature - HEAT_THRESHOLD_C, 0.0), HEAT_LAGS)
    cold = _lagged(np.maximum(COLD_THRESHOLD_C - temperature, 0.0), COLD_LAGS)
    heat_beta = HEAT_PER_DEGREE * rng.lognormal(0.0, 0.3, size=(n_trusts, 1))
    cold_beta = COLD_PER_DEGREE * rng.lognormal(0.0, 0.3, size=(n_trusts, 1))
    result: FloatArray = np.exp(heat_beta * heat + cold_beta * cold)
    return result


def _lagged(values: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted sum of today and the previous len(weights)-1 days, along the last axis."""
    out: FloatArray = weights[0] * values
    for lag, weight in enumerate(weights[1:], start=1):
        out[:, lag:] += weight * values[:, :-lag]
    return out
