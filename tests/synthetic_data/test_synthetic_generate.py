"""The synthetic world: determinism, truth, and the shapes of demand a model must learn."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import polars as pl

from synthetic_data import SynthConfig, SyntheticData, generate
from synthetic_data.calendar_effects import Calendar, bank_holidays

END = date(2025, 6, 30)
SMALL = SynthConfig(trusts=8, years=2, end=END, seed=7)


@lru_cache(maxsize=1)
def small_world() -> SyntheticData:
    return generate(SMALL)


def test_same_seed_same_data_other_seed_other_data() -> None:
    again = generate(SMALL)
    assert again.attendances.equals(small_world().attendances)
    assert again.truth.equals(small_world().truth)
    assert again.temperature.equals(small_world().temperature)
    other = generate(SynthConfig(trusts=8, years=2, end=END, seed=8))
    assert not other.attendances.equals(small_world().attendances)


def test_dates_end_at_end_and_start_years_before() -> None:
    data = small_world().attendances
    assert data["date"].max() == END
    assert data["date"].min() == date(2023, 7, 1)
    assert data.group_by("trust_code").len()["len"].to_list() == [SMALL.n_days] * 8


def test_truth_has_one_positive_expected_per_trust_day() -> None:
    truth = small_world().truth
    assert truth.height == 8 * SMALL.n_days
    assert truth.select(pl.struct("trust_code", "date").is_unique().all()).item()
    assert truth["expected"].to_numpy().min() > 0
    assert truth["expected_admissions"].to_numpy().min() > 0
    assert (truth["lo95"] <= truth["lo80"]).all() and (truth["lo80"] <= truth["median"]).all()
    assert (truth["median"] <= truth["hi80"]).all() and (truth["hi80"] <= truth["hi95"]).all()


def test_expected_is_the_product_of_its_multipliers() -> None:
    parts = ["level_trend", "weekly", "annual", "holiday", "temperature_effect", "respiratory"]
    product = small_world().truth.select(
        pl.reduce(lambda a, b: a * b, [pl.col(p) for p in [*parts, "faults"]]) / pl.col("expected")
    )
    assert product.to_series().is_between(0.999999, 1.000001).all()


def test_counts_are_non_negative_integers_tracking_expected() -> None:
    joined = small_world().attendances.join(small_world().truth, on=["trust_code", "date"])
    assert joined["attendances"].dtype == pl.Int64 and joined["admissions"].dtype == pl.Int64
    assert (
        joined["attendances"].to_numpy().min() >= 0 and joined["admissions"].to_numpy().min() >= 0
    )
    assert (joined["admissions"] <= joined["attendances"]).all()
    ratio = joined["attendances"].to_numpy().mean() / joined["expected"].to_numpy().mean()
    assert abs(ratio - 1.0) < 0.02
    admitted = (
        joined["admissions"].to_numpy().mean() / joined["expected_admissions"].to_numpy().mean()
    )
    assert abs(admitted - 1.0) < 0.03


def test_true_quantiles_cover_the_counts() -> None:
    joined = small_world().attendances.join(small_world().truth, on=["trust_code", "date"])
    inside80 = joined.select(
        pl.col("attendances").is_between(pl.col("lo80"), pl.col("hi80")).mean()
    )
    inside95 = joined.select(
        pl.col("attendances").is_between(pl.col("lo95"), pl.col("hi95")).mean()
    )
    assert 0.78 < inside80.item() < 0.84
    assert 0.94 < inside95.item() < 0.97


def test_monday_is_busiest_and_weekends_quietest() -> None:
    by_day = (
        small_world()
        .attendances.group_by(pl.col("date").dt.weekday().alias("weekday"))
        .agg(pl.col("attendances").mean())
        .sort("weekday")["attendances"]
        .to_list()
    )
    assert by_day[0] == max(by_day)
    assert by_day[0] / (sum(by_day) / 7) > 1.07
    assert max(by_day[5:]) < min(by_day[:5])


def test_winter_is_busier_than_summer() -> None:
    month = pl.col("date").dt.month()
    data = small_world().attendances
    winter = data.filter(month.is_in([12, 1, 2]))["attendances"].to_numpy().mean()
    summer = data.filter(month.is_in([6, 7, 8]))["attendances"].to_numpy().mean()
    assert winter > summer


def test_bank_holidays_are_quieter_than_the_same_weekday_nearby() -> None:
    daily = small_world().attendances.group_by("date").agg(pl.col("attendances").sum())
    total = dict(zip(daily["date"].to_list(), daily["attendances"].to_list(), strict=True))
    calendar = Calendar.between(SMALL.start, SMALL.end)
    holidays = bank_holidays(calendar)
    checked = 0
    for day in holidays:
        if (day.month, day.day) in {(12, 25), (12, 26), (1, 1)} or day not in total:
            continue
        week = timedelta(days=7)
        neighbours = [d for d in (day - week, day + week) if d in total and d not in holidays]
        if neighbours:
            assert total[day] < 0.97 * min(total[d] for d in neighbours), day
            checked += 1
    assert checked >= 8


def test_christmas_day_is_the_quietest_day_of_its_month() -> None:
    daily = small_world().attendances.group_by("date").agg(pl.col("attendances").sum())
    december = daily.filter(pl.col("date").dt.month() == 12, pl.col("date").dt.year() == 2024)
    assert december.sort("attendances")["date"][0] == date(2024, 12, 25)


def test_more_trusts_than_the_calibration_file_get_generated_codes() -> None:
    data = generate(SynthConfig(trusts=150, years=1, end=END, seed=1))
    trusts = data.trusts
    assert trusts.height == 150 and trusts["trust_code"].is_unique().all()
    assert trusts["trust_code"].str.contains(r"^[A-Z0-9]{3,5}$").all()
    assert (trusts["source"] == "generated").sum() == 10
    assert set(trusts["nation"]) == {"England"}
