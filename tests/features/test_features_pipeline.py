from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from features.config import DEFAULT_FEATURES
from features.pipeline import feature_names, prediction_rows, prepare, training_rows

ORIGIN = date(2023, 6, 30)


def _series(trusts: dict[str, float], start: date, end: date, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    days = pl.date_range(start, end, interval="1d", eager=True)
    weekday = np.array([1.12, 1.02, 1.0, 0.99, 1.0, 0.93, 0.94])
    frames = []
    for code, level in trusts.items():
        dow = np.array([d.weekday() for d in days])
        doy = np.array([d.timetuple().tm_yday for d in days])
        mu = level * weekday[dow] * (1 + 0.05 * np.cos(2 * np.pi * doy / 365.25))
        frames.append(pl.DataFrame({
            "trust_code": code, "date": days, "attendances": rng.poisson(mu),
        }))
    return pl.concat(frames)


@pytest.fixture(scope="module")
def attendances() -> pl.DataFrame:
    return _series({"RAA": 300.0, "RBB": 80.0}, date(2020, 1, 1), date(2023, 12, 31))


def test_rows_at_an_origin_ignore_every_later_actual(attendances: pl.DataFrame) -> None:
    poisoned = attendances.with_columns(
        pl.when(pl.col("date") > ORIGIN).then(pl.col("attendances") * 100)
        .otherwise(pl.col("attendances")).alias("attendances")
    )
    clean = prediction_rows(prepare(attendances, None, ORIGIN, 14), 14)
    dirty = prediction_rows(prepare(poisoned, None, ORIGIN, 14), 14)
    assert clean.height == 2 * 14
    assert clean.equals(dirty)


def test_training_rows_read_history_at_the_origin_not_the_target(attendances: pl.DataFrame) -> None:
    prepared = prepare(attendances, None, ORIGIN, 28)
    rows = training_rows(prepared, 28, ORIGIN - timedelta(days=200), per_target=2, seed=3)
    assert (rows["date"] - rows["origin"]).dt.total_days().to_list() == rows["horizon"].to_list()
    # A target's row must equal the prediction row built from history ending at its origin.
    sample = rows.filter(pl.col("trust_code") == "RAA").row(50, named=True)
    origin = sample["origin"]
    again = prediction_rows(prepare(attendances, None, origin, 28), 28).filter(
        (pl.col("trust_code") == "RAA") & (pl.col("horizon") == sample["horizon"])
    ).row(0, named=True)
    for name in feature_names():
        if name.startswith("national_"):
            continue  # the national pool differs: only trusts with history then
        assert again[name] == pytest.approx(sample[name], nan_ok=True), name


def test_base_level_tracks_each_trust_size(attendances: pl.DataFrame) -> None:
    rows = prediction_rows(prepare(attendances, None, ORIGIN, 7), 7)
    by_trust = rows.group_by("trust_code").agg(pl.col("base").mean()).sort("trust_code")
    ratio = by_trust["base"].to_list()
    assert ratio[0] == pytest.approx(300 * 0.97, rel=0.06)
    assert ratio[1] == pytest.approx(80 * 0.97, rel=0.08)
    monday = rows.filter((pl.col("trust_code") == "RAA") & (pl.col("dow") == 0))
    saturday = rows.filter((pl.col("trust_code") == "RAA") & (pl.col("dow") == 5))
    assert monday["profile_target"][0] > 1.05 > 0.96 > saturday["profile_target"][0]


def test_missing_days_stay_missing_and_do_not_drag_the_level(attendances: pl.DataFrame) -> None:
    hole = pl.col("date").is_between(ORIGIN - timedelta(days=19), ORIGIN - timedelta(days=6))
    gappy = attendances.filter(~hole)
    rows = prediction_rows(prepare(gappy, None, ORIGIN, 7), 7)
    full = prediction_rows(prepare(attendances, None, ORIGIN, 7), 7)
    level_gappy = rows.filter(pl.col("trust_code") == "RAA")["log_level"][0]
    level_full = full.filter(pl.col("trust_code") == "RAA")["log_level"][0]
    assert abs(level_gappy - level_full) < 0.05
    assert rows.filter(pl.col("trust_code") == "RAA")["observed_w28"][0] == 28 - 14


def test_feature_names_come_from_the_config() -> None:
    names = feature_names(DEFAULT_FEATURES)
    assert "momentum_w7_over_w28" in names and "national_momentum_w56_over_w28" in names
    assert len(names) == len(set(names))


def test_admissions_are_an_optional_input_read_only_up_to_the_origin(
    attendances: pl.DataFrame,
) -> None:
    with_admissions = attendances.with_columns(
        admissions=(pl.col("attendances") * 0.3).round().cast(pl.Int64))
    poisoned = with_admissions.with_columns(
        pl.when(pl.col("date") > ORIGIN).then(pl.col("admissions") * 3)
        .otherwise(pl.col("admissions")).alias("admissions"))
    rows = prediction_rows(prepare(with_admissions, None, ORIGIN, 7), 7)
    assert rows["admissions_share_w28"].to_numpy() == pytest.approx(0.3, abs=0.01)
    assert rows.equals(prediction_rows(prepare(poisoned, None, ORIGIN, 7), 7))
    without = prediction_rows(prepare(attendances, None, ORIGIN, 7), 7)
    assert without["admissions_share_w28"].null_count() == without.height
