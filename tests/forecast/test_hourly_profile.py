"""The weekday-by-hour profile in UK local time: clock changes, shrinkage, the default."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import polars as pl
from support.paths import HOURLY_SAMPLE

from contract.inputs import read_arrivals_hourly
from forecast.hourly_default import DEFAULT_SHARES
from forecast.hourly_profile import (
    HourlyProfile,
    day_shares,
    default_profile,
    estimate_profile,
    hours_of,
)

SAMPLE = HOURLY_SAMPLE


def cardiff() -> pl.DataFrame:
    return read_arrivals_hourly(SAMPLE, as_of=date(2019, 3, 1))


def test_a_uk_day_has_24_hours_and_the_clock_change_days_23_and_25() -> None:
    assert len(hours_of(date(2026, 12, 2))) == 24
    spring, autumn = hours_of(date(2026, 3, 29)), hours_of(date(2026, 10, 25))
    assert [h.local_hour for h in spring][:3] == [0, 2, 3] and len(spring) == 23
    assert [h.local_hour for h in autumn][:4] == [0, 1, 1, 2] and len(autumn) == 25
    assert autumn[0].start_utc == datetime(2026, 10, 24, 23, tzinfo=UTC)
    assert autumn[-1].start_utc == datetime(2026, 10, 25, 23, tzinfo=UTC)
    summer = hours_of(date(2026, 7, 1))
    assert summer[0].start_utc == datetime(2026, 6, 30, 23, tzinfo=UTC)
    assert summer[8].start_local.hour == 8 and summer[8].start_utc.hour == 7


def test_day_shares_sum_to_one_on_every_kind_of_day() -> None:
    profile = default_profile()
    for day in (date(2026, 3, 29), date(2026, 10, 25), date(2026, 12, 2)):
        hours, shares = day_shares(profile, day)
        assert len(shares) == len(hours) and abs(shares.sum() - 1) < 1e-12
    autumn_hours, autumn = day_shares(profile, date(2026, 10, 25))
    assert autumn[1] == autumn[2]  # 01:00 BST and 01:00 GMT: the same clock hour, twice


def test_the_default_profile_is_a_plausible_ed_day() -> None:
    shares = np.array(DEFAULT_SHARES)
    assert shares.shape == (7, 24) and np.allclose(shares.sum(axis=1), 1)
    assert (shares[:, 4:7].max() < 0.016) and (shares[:, 10:13].min() > 0.055)  # night vs noon


def test_the_profile_from_cardiffs_hours_skips_clock_change_days_and_is_mostly_its_own() -> None:
    hourly = cardiff()
    profile = estimate_profile(hourly, weeks=7)  # the autumn window: 1 Oct - 18 Nov 2018
    assert profile.source == "trust"
    assert profile.data_to == date(2018, 11, 18) and profile.data_from == date(2018, 10, 1)
    assert profile.days == 48  # 49 days less 28 October (25 hours)
    assert abs(profile.weight - (6 * 7 / 9 + 6 / 8) / 7) < 1e-9  # six Sundays, 7 of the rest
    assert np.allclose(profile.shares.sum(axis=1), 1)
    gap = np.abs(profile.shares - np.array(DEFAULT_SHARES))  # seven weeks of Cardiff vs all
    assert gap.max() < 0.015 and gap.mean() < 0.003


def test_thin_data_is_shrunk_toward_the_default() -> None:
    """One Monday whose arrivals all came at noon moves noon's share by a third of the way."""
    monday = date(2024, 1, 8)
    hours = [datetime(2024, 1, 8, h, tzinfo=UTC) for h in range(24)]
    frame = pl.DataFrame(
        {"trust_code": ["RXX"] * 24, "hour_start_utc": hours,
         "arrivals": [100 if h == 12 else 0 for h in range(24)]},
        schema={"trust_code": pl.String, "hour_start_utc": pl.Datetime("us", "UTC"),
                "arrivals": pl.Int64},
    )
    profile = estimate_profile(frame)
    weight = 1 / 3
    expected = weight * 1.0 + (1 - weight) * DEFAULT_SHARES[0][12]
    assert abs(profile.shares[monday.weekday(), 12] - expected) < 1e-12
    assert np.allclose(profile.shares[1:], np.array(DEFAULT_SHARES)[1:])  # other days untouched


def test_no_hourly_data_means_the_default() -> None:
    empty = cardiff().head(0)
    assert estimate_profile(empty).source == "default"
    incomplete = cardiff().head(20)  # part of one day: no complete day to learn from
    profile = estimate_profile(incomplete)
    assert isinstance(profile, HourlyProfile) and profile.source == "default"
    assert profile.data_from is None and profile.data_to is None
