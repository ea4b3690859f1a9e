"""The calendar's part of demand: day of week, time of year, bank holidays and Christmas.

Every effect is a multiplier on the expected attendances, shaped (trusts, days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import holidays
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Log multipliers Monday..Sunday, mean zero: Monday about +11% over the mean, weekends about -7%.
WEEKLY_LOG = np.array([0.12, 0.025, 0.005, -0.005, -0.015, -0.06, -0.07])
WEEKLY_TRUST_SD = 0.012  # each trust's own profile
WEEKLY_DRIFT_SD = 0.005  # yearly random-walk step of each trust's profile
HOLIDAY_WEEKLY_STRENGTH = 0.5  # a bank holiday Monday is much less of a Monday

BANK_HOLIDAY = 0.90
DAY_AFTER_BANK_HOLIDAY = 1.07
# Each day of the Christmas to New Year stretch has its own multiplier, keyed month*100+day.
CHRISTMAS: dict[int, float] = {
    1224: 0.92,
    1225: 0.75,
    1226: 0.88,
    1227: 1.08,
    1228: 1.05,
    1229: 1.03,
    1230: 1.02,
    1231: 0.95,
    101: 0.95,
    102: 1.08,
}
_OWN_MULTIPLIER_HOLIDAYS = [1225, 1226, 101]  # their Christmas multiplier replaces BANK_HOLIDAY
_WEEKLY_DAMPED_DAYS = [1224, 1231]  # besides the bank holidays themselves


@dataclass(frozen=True)
class Calendar:
    """The consecutive days simulated, with the parts of each date the effects need."""

    dates: NDArray[np.datetime64]

    @classmethod
    def between(cls, first: date, last: date) -> Calendar:
        return cls(np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1))

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def day_index(self) -> IntArray:
        """Days since 1970-01-01."""
        return self.dates.astype(np.int64)

    @property
    def day_of_week(self) -> IntArray:
        """Monday 0 .. Sunday 6 (1970-01-01 was a Thursday)."""
        return (self.day_index + 3) % 7

    @property
    def day_of_year(self) -> IntArray:
        result: IntArray = (self.dates - self.dates.astype("datetime64[Y]")).astype(np.int64)
        return result + 1

    @property
    def month(self) -> IntArray:
        return self.dates.astype("datetime64[M]").astype(np.int64) % 12 + 1

    @property
    def day_of_month(self) -> IntArray:
        result: IntArray = (self.dates - self.dates.astype("datetime64[M]")).astype(np.int64)
        return result + 1

    @property
    def years(self) -> FloatArray:
        """Time in years since the first day."""
        result: FloatArray = (self.day_index - self.day_index[0]) / 365.25
        return result

    @property
    def year_span(self) -> range:
        first = int(self.dates[0].astype("datetime64[Y]").astype(np.int64)) + 1970
        last = int(self.dates[-1].astype("datetime64[Y]").astype(np.int64)) + 1970
        return range(first, last + 1)


def weekly_profile(cal: Calendar, n_trusts: int, rng: np.random.Generator) -> FloatArray:
    """Day-of-week multipliers: a national shape, each trust's variant, drifting year by year."""
    n_knots = int(np.ceil(cal.years[-1])) + 2
    steps = rng.normal(0.0, WEEKLY_DRIFT_SD, size=(n_trusts, n_knots, 7))
    steps[:, 0, :] = rng.normal(0.0, WEEKLY_TRUST_SD, size=(n_trusts, 7))
    log_profile = WEEKLY_LOG + np.cumsum(steps, axis=1)
    profile = np.exp(log_profile - log_profile.mean(axis=2, keepdims=True))
    profile /= profile.mean(axis=2, keepdims=True)
    position = cal.years
    knot = np.floor(position).astype(np.int64)
    weight = (position - knot)[None, :]
    dow = cal.day_of_week
    before = profile[:, knot, dow]
    after = profile[:, knot + 1, dow]
    result: FloatArray = (1.0 - weight) * before + weight * after
    return result


def annual_seasonality(cal: Calendar, n_trusts: int, rng: np.random.Generator) -> FloatArray:
    """Time-of-year multipliers: a mild winter peak, in some trusts a summer bump as well."""
    doy = cal.day_of_year[None, :].astype(np.float64)
    omega = 2.0 * np.pi / 365.25
    amplitude = rng.uniform(0.0, 0.025, size=(n_trusts, 1))
    peak = 15.0 + rng.normal(0.0, 10.0, size=(n_trusts, 1))  # mid-January
    second = rng.normal(0.0, 0.006, size=(n_trusts, 1))
    second_phase = rng.uniform(0.0, 2.0 * np.pi, size=(n_trusts, 1))
    has_bump = rng.random(size=(n_trusts, 1)) < 0.4
    bump = np.where(has_bump, rng.uniform(0.01, 0.035, size=(n_trusts, 1)), 0.0)
    bump_centre = 200.0 + rng.normal(0.0, 10.0, size=(n_trusts, 1))  # about 19 July
    bump_sd = 25.0
    log_effect = (
        amplitude * np.cos(omega * (doy - peak))
        + second * np.cos(2.0 * omega * doy + second_phase)
        + bump
        * (
            np.exp(-0.5 * ((doy - bump_centre) / bump_sd) ** 2)
            - bump_sd * np.sqrt(2.0 * np.pi) / 365.25
        )
    )
    result: FloatArray = np.exp(log_effect)
    return result


@dataclass(frozen=True)
class HolidayEffects:
    """Bank holiday and Christmas multipliers, and the days whose weekly profile is damped."""

    multiplier: FloatArray  # (trusts, days)
    weekly_damped: BoolArray  # (days,)


def bank_holidays(cal: Calendar) -> dict[date, str]:
    """England's bank holidays (the `holidays` package) over the simulated years."""
    found = holidays.country_holidays("GB", subdiv="ENG", years=list(cal.year_span))
    return {day: str(name) for day, name in found.items()}


def holiday_effects(cal: Calendar, n_trusts: int, rng: np.random.Generator) -> HolidayEffects:
    """Bank holidays lower demand, the next weekday catches up, Christmas has its own days."""
    named = bank_holidays(cal)
    is_holiday = np.isin(cal.dates, np.array(sorted(named), dtype="datetime64[D]"))
    codes = month_day_codes(cal)
    table = np.ones(1232)
    table[list(CHRISTMAS)] = list(CHRISTMAS.values())
    in_christmas = np.isin(codes, list(CHRISTMAS))
    log_national = np.log(table[codes])
    generic = is_holiday & ~np.isin(codes, _OWN_MULTIPLIER_HOLIDAYS)
    log_national += np.where(generic, np.log(BANK_HOLIDAY), 0.0)
    after = np.zeros_like(is_holiday)
    after[1:] = is_holiday[:-1] & ~is_holiday[1:]
    after &= (cal.day_of_week < 5) & ~in_christmas
    log_national += np.where(after, np.log(DAY_AFTER_BANK_HOLIDAY), 0.0)
    sensitivity = rng.lognormal(0.0, 0.15, size=(n_trusts, 1))
    damped = is_holiday | np.isin(codes, _WEEKLY_DAMPED_DAYS)
    return HolidayEffects(np.exp(sensitivity * log_national[None, :]), damped)


def month_day_codes(cal: Calendar) -> IntArray:
    """month * 100 + day, e.g. 1225 for Christmas Day."""
    return cal.month * 100 + cal.day_of_month


def damp_weekly(weekly: FloatArray, damped: BoolArray) -> FloatArray:
    """On holidays the day-of-week pattern holds only partly."""
    strength = np.where(damped, HOLIDAY_WEEKLY_STRENGTH, 1.0)[None, :]
    result: FloatArray = np.exp(np.log(weekly) * strength)
    return result
