"""Expected demand as a product of named multipliers, kept apart so each can be inspected.

expected = level_trend × weekly × annual × holiday × temperature × respiratory × faults
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic_data.calendar_effects import Calendar, FloatArray

TREND_MEAN = 0.015  # log growth a year
TREND_SD = 0.015
ADMISSIONS_WINTER_AMPLITUDE = 0.035  # admissions ratio ~3.5% higher in mid-January
ADMISSIONS_PER_RESPIRATORY = 0.8  # a 10% respiratory excess raises the ratio 8%
ADMISSIONS_PER_COLLAPSE = 0.5  # in a collapse the sicker still come: ratio rises


@dataclass(frozen=True)
class Demand:
    """All shaped (trusts, days); the multipliers average about 1 over a year."""

    level_trend: FloatArray  # attendances a day, before every other effect
    weekly: FloatArray
    annual: FloatArray
    holiday: FloatArray
    temperature: FloatArray
    respiratory: FloatArray
    faults: FloatArray
    admissions_ratio: FloatArray

    @property
    def expected(self) -> FloatArray:
        result: FloatArray = (
            self.level_trend
            * self.weekly
            * self.annual
            * self.holiday
            * self.temperature
            * self.respiratory
            * self.faults
        )
        return result

    @property
    def expected_admissions(self) -> FloatArray:
        result: FloatArray = self.expected * self.admissions_ratio
        return result


def level_trend(cal: Calendar, level: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Trust level (the calibration mean, reached mid-period) × a slow trust-specific trend.

    The trend is log-linear (1.5% ± 1.5% a year) plus a gentle multi-year wave (sd 1%).
    """
    n_trusts = level.size
    t = cal.years[None, :] - cal.years[-1] / 2.0
    growth = np.clip(rng.normal(TREND_MEAN, TREND_SD, size=(n_trusts, 1)), -0.03, 0.05)
    wave = rng.normal(0.0, 0.01, size=(n_trusts, 1))
    period = rng.uniform(3.0, 7.0, size=(n_trusts, 1))
    phase = rng.uniform(0.0, 2.0 * np.pi, size=(n_trusts, 1))
    log_trend = growth * t + wave * np.sin(2.0 * np.pi * t / period + phase)
    result: FloatArray = level[:, None] * np.exp(log_trend)
    return result


def admissions_ratio(
    cal: Calendar, base: FloatArray, respiratory_excess: FloatArray, collapse_lost: FloatArray
) -> FloatArray:
    """Share of attendances admitted: trust ratio, higher in winter, flu and collapse."""
    omega = 2.0 * np.pi / 365.25
    winter = 1.0 + ADMISSIONS_WINTER_AMPLITUDE * np.cos(omega * (cal.day_of_year - 15.0))
    ratio = (
        base[:, None]
        * winter[None, :]
        * (1.0 + ADMISSIONS_PER_RESPIRATORY * respiratory_excess)
        * (1.0 + ADMISSIONS_PER_COLLAPSE * collapse_lost)
    )
    result: FloatArray = np.clip(ratio, 0.0, 0.95)
    return result
