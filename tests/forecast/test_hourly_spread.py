"""Hourly intervals: ordered, adding up, wider when the day is uncertain, and calibrated on
Cardiff's real hours (profile from spring 2018, tested on autumn 2018)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from support.paths import HOURLY_SAMPLE

from contract.inputs import read_arrivals_hourly
from forecast.hourly_profile import day_shares, default_profile, estimate_profile, local_days
from forecast.hourly_spread import DayForecast, daily_quantiles, spread_day

SAMPLE = HOURLY_SAMPLE
DAY = date(2026, 12, 2)


def test_hours_add_up_to_the_day_and_intervals_are_ordered() -> None:
    _, shares = day_shares(default_profile(), DAY)
    spread = spread_day(DayForecast(360, 330, 392, 315, 410), shares)
    assert abs(spread.point.sum() - 360) < 1e-9
    assert np.all(spread.lo95 <= spread.lo80) and np.all(spread.lo80 <= spread.point)
    assert np.all(spread.point <= spread.hi80) and np.all(spread.hi80 <= spread.hi95)


def test_an_uncertain_day_widens_every_hour() -> None:
    _, shares = day_shares(default_profile(), DAY)
    sure = spread_day(DayForecast(*[360.0] * 5), shares)
    unsure = spread_day(DayForecast(360, 300, 420, 270, 450), shares)
    assert np.all(unsure.hi95 - unsure.lo95 >= sure.hi95 - sure.lo95)
    assert (unsure.hi95 - unsure.lo95).sum() > (sure.hi95 - sure.lo95).sum() + 24


def test_a_small_trusts_night_hours_reach_down_to_zero() -> None:
    _, shares = day_shares(default_profile(), DAY)
    spread = spread_day(DayForecast(40, 32, 48, 28, 53), shares)
    assert spread.lo95[5] == 0 and spread.hi95[5] >= 1


def test_daily_quantiles_pass_through_the_published_ones() -> None:
    day = DayForecast(360, 330, 392, 315, 410)
    levels = np.array([0.025, 0.1, 0.5, 0.9, 0.975, 0.001])
    values = daily_quantiles(day, levels)
    assert np.allclose(values[:5], [315, 330, 360, 392, 410])
    assert 0 <= values[5] < 315


def _coverage(make: Callable[[date, dict[date, int]], DayForecast | None]) -> tuple[float, float]:
    hourly = read_arrivals_hourly(SAMPLE, as_of=date(2019, 3, 1))
    split = pl.datetime(2018, 6, 1, time_zone="UTC")
    profile = estimate_profile(hourly.filter(pl.col("hour_start_utc") < split))
    autumn = local_days(hourly.filter(pl.col("hour_start_utc") > split))
    days = autumn.group_by("local_date").agg(pl.col("arrivals").sum())
    totals = dict(days.iter_rows())
    inside80 = inside95 = count = 0
    for (day,), group in autumn.group_by("local_date"):
        forecast = make(day, totals)
        hours, shares = day_shares(profile, day)
        actual = group.sort("hour_start_utc")["arrivals"].to_numpy()
        if forecast is None or len(actual) != len(hours):
            continue
        spread = spread_day(forecast, shares)
        inside80 += int(((actual >= spread.lo80) & (actual <= spread.hi80)).sum())
        inside95 += int(((actual >= spread.lo95) & (actual <= spread.hi95)).sum())
        count += len(actual)
    assert count > 1000
    return inside80 / count, inside95 / count


def test_calibrated_on_cardiff_given_the_days_total() -> None:
    """The within-day part alone: the day's total known exactly."""
    c80, c95 = _coverage(lambda day, totals: DayForecast(*[float(totals[day])] * 5))
    assert c80 == pytest.approx(0.80, abs=0.05) and c95 == pytest.approx(0.95, abs=0.025)


def test_calibrated_on_cardiff_with_an_uncertain_day() -> None:
    """Both parts: seasonal-naive daily totals with normal 80/95% intervals (sd 36, about what
    that forecast misses by on these weeks)."""

    def naive(day: date, totals: dict[date, int]) -> DayForecast | None:
        last_week = totals.get(day - timedelta(days=7))
        if last_week is None:
            return None
        sd = 36.0
        return DayForecast(
            last_week, last_week - 1.2816 * sd, last_week + 1.2816 * sd,
            last_week - 1.96 * sd, last_week + 1.96 * sd,
        )

    c80, c95 = _coverage(naive)
    assert c80 == pytest.approx(0.80, abs=0.05) and c95 == pytest.approx(0.95, abs=0.025)
