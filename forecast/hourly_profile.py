"""A trust's weekday-by-hour arrival profile, in UK local time, from its hourly arrivals.

Why local time: people arrive by the clock on the wall, so 08:00 BST in July behaves like
08:00 GMT in January. Hours are stored by their UTC start and converted to Europe/London here;
the two clock-change days (23 and 25 hours) are left out of the estimate, and a day with a
missing hour too, so every day counted contributes one full 24-hour shape.

The estimate is, per weekday, the trust's own shares over the last `weeks` weeks shrunk toward
the default profile (`forecast.hourly_default`) with weight n / (n + PRIOR_DAYS) for n complete
days of that weekday: a trust with 12 weeks of data is 86% its own shape, one with a single
week 33%, one with none is the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

from forecast.hourly_default import DEFAULT_SHARES

FloatArray = npt.NDArray[np.float64]
LOCAL_ZONE = "Europe/London"
PROFILE_WEEKS = 12
PRIOR_DAYS = 2.0
ProfileSource = Literal["trust", "default"]


@dataclass(frozen=True)
class HourlyProfile:
    """Shares of a day's arrivals by weekday (0 = Monday) and local clock hour; rows sum to 1."""

    shares: FloatArray  # (7, 24)
    source: ProfileSource  # "trust": shrunk from the trust's own hours; "default": none ingested
    days: int  # complete local days of the trust's data behind it
    weight: float  # mean weight of the trust's own shares (0 for the default)
    data_from: date | None = None
    data_to: date | None = None


@dataclass(frozen=True)
class LocalHour:
    """One real hour of a local day: where it starts in UTC and on the wall clock."""

    start_utc: datetime
    start_local: datetime
    local_hour: int


def default_profile() -> HourlyProfile:
    return HourlyProfile(np.array(DEFAULT_SHARES, dtype=np.float64), "default", 0, 0.0)


def local_days(hourly: pl.DataFrame) -> pl.DataFrame:
    """`hourly` (contract schema) with the local date, weekday (0 = Monday) and clock hour."""
    local = pl.col("hour_start_utc").dt.convert_time_zone(LOCAL_ZONE)
    return hourly.with_columns(
        local_date=local.dt.date(),
        weekday=(local.dt.weekday() - 1).cast(pl.Int32),
        local_hour=local.dt.hour().cast(pl.Int32),
    )


def estimate_profile(
    hourly: pl.DataFrame, *, weeks: int = PROFILE_WEEKS, prior_days: float = PRIOR_DAYS
) -> HourlyProfile:
    """The profile from one trust's hourly arrivals (contract schema), newest `weeks` weeks."""
    if hourly.is_empty():
        return default_profile()
    days = local_days(hourly)
    last = days["local_date"].max()
    assert isinstance(last, date)
    first = last - timedelta(weeks=weeks) + timedelta(days=1)
    days = days.filter(pl.col("local_date") >= first)
    complete = (
        days.group_by("local_date")
        .agg(hours=pl.col("local_hour").n_unique(), rows=pl.len())
        .filter((pl.col("hours") == 24) & (pl.col("rows") == 24))["local_date"]
    )
    days = days.filter(pl.col("local_date").is_in(complete.implode()))
    if days.is_empty():
        return default_profile()
    counts = np.zeros((7, 24))
    cells = days.group_by("weekday", "local_hour").agg(pl.col("arrivals").sum())
    for weekday, hour, arrivals in cells.iter_rows():
        counts[weekday, hour] = arrivals
    n_days = np.zeros(7)
    for weekday, n in days.group_by("weekday").agg(pl.col("local_date").n_unique()).iter_rows():
        n_days[weekday] = n
    oldest = days["local_date"].min()
    assert isinstance(oldest, date)
    totals = counts.sum(axis=1, keepdims=True)
    own = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    weight = np.where(totals[:, 0] > 0, n_days / (n_days + prior_days), 0.0)[:, None]
    shares = weight * own + (1 - weight) * np.array(DEFAULT_SHARES)
    return HourlyProfile(
        shares / shares.sum(axis=1, keepdims=True),
        "trust",
        int(complete.len()),
        float(weight.mean()),
        oldest,
        last,
    )


def hours_of(day: date) -> list[LocalHour]:
    """The real hours of a UK local day: 24, or 23 / 25 on the clock-change days."""
    zone = ZoneInfo(LOCAL_ZONE)
    start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    end_day = day + timedelta(days=1)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=zone).astimezone(UTC)
    hours = []
    at = start
    while at < end:
        local = at.astimezone(zone)
        hours.append(LocalHour(at, local, local.hour))
        at += timedelta(hours=1)
    return hours


def day_shares(profile: HourlyProfile, day: date) -> tuple[list[LocalHour], FloatArray]:
    """Each real hour of `day` and its share of the day: the profile's share for its weekday
    and clock hour, renormalised (on 23-hour days 01:00 is missing, on 25-hour days it is
    there twice)."""
    hours = hours_of(day)
    raw = np.array([profile.shares[day.weekday(), h.local_hour] for h in hours])
    return hours, raw / raw.sum()
