"""Faults: gaps are absent rows, late starts start late, shifts and collapse move `expected`."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import polars as pl

from synthetic_data import SynthConfig, SyntheticData, generate

END = date(2025, 6, 30)
CLEAN = SynthConfig(trusts=8, years=2, end=END, seed=3)
FAULTY = SynthConfig(
    trusts=8, years=2, end=END, seed=3, gaps=0.03, late_starts=2, level_shifts=2, collapse=True
)  # every fault at once
KEY = ["trust_code", "date"]


@lru_cache(maxsize=8)
def world(config: SynthConfig) -> SyntheticData:
    return generate(config)


def test_gaps_are_absent_rows_never_zeros() -> None:
    data = world(SynthConfig(trusts=8, years=2, end=END, seed=3, gaps=0.03))
    truth = data.truth
    missing = truth.filter(~pl.col("observed")).select(KEY)
    assert 0.02 < missing.height / truth.height < 0.05
    assert data.attendances.height + missing.height == truth.height
    assert data.attendances.join(missing, on=KEY, how="inner").height == 0
    assert data.attendances["attendances"].to_numpy().min() > 0


def test_gaps_do_not_change_the_rows_that_remain() -> None:
    gappy = world(SynthConfig(trusts=8, years=2, end=END, seed=3, gaps=0.03)).attendances
    clean = world(CLEAN).attendances
    assert gappy.equals(clean.join(gappy.select(KEY), on=KEY, how="semi"))


def test_gaps_include_runs_of_missing_days() -> None:
    truth = world(SynthConfig(trusts=8, years=2, end=END, seed=3, gaps=0.03)).truth
    runs = (
        truth.with_columns(run=(pl.col("observed") != pl.col("observed").shift(1)).cum_sum())
        .filter(~pl.col("observed"))
        .group_by("trust_code", "run")
        .len()
    )
    assert runs["len"].to_numpy().max() >= 3


def test_late_start_trusts_have_only_months_of_history() -> None:
    data = world(FAULTY)
    first = data.attendances.group_by("trust_code").agg(pl.col("date").min())
    late = first.filter(pl.col("date") > END - timedelta(days=280))
    assert late.height == 2
    truth_first = data.truth.group_by("trust_code").agg(pl.col("date").min())
    late_truth = truth_first.filter(pl.col("date") > END - timedelta(days=280))
    assert sorted(late_truth["trust_code"]) == sorted(late["trust_code"])
    listed = data.trusts.filter(pl.col("first_date") > FAULTY.start)
    assert sorted(listed["trust_code"]) == sorted(late["trust_code"])


def test_level_shift_is_a_permanent_step_in_expected() -> None:
    config = SynthConfig(trusts=8, years=2, end=END, seed=3, level_shifts=2)
    shifted = world(config).trusts.filter(pl.col("level_shift").is_not_null())
    assert shifted.height == 2
    ratio = (
        world(config)
        .truth.join(world(CLEAN).truth, on=KEY, suffix="_clean")
        .select("trust_code", "date", r=pl.col("expected") / pl.col("expected_clean"))
    )
    for code, day, size in shifted.select("trust_code", "level_shift_date", "level_shift").rows():
        assert 0.10 <= abs(size) <= 0.25
        own = ratio.filter(pl.col("trust_code") == code)
        after = pl.col("date") >= day
        assert (own.filter(after)["r"] - (1.0 + size)).abs().to_numpy().max() < 1e-9
        assert (own.filter(~after)["r"] - 1.0).abs().to_numpy().max() < 1e-9
    unshifted = ratio.filter(~pl.col("trust_code").is_in(shifted["trust_code"].implode()))
    assert (unshifted["r"] - 1.0).abs().to_numpy().max() < 1e-9


def test_collapse_drops_about_40_percent_and_recovers() -> None:
    config = SynthConfig(trusts=8, years=2, end=END, seed=3, collapse=True)
    daily = (
        world(config)
        .truth.join(world(CLEAN).truth, on=KEY, suffix="_clean")
        .group_by("date")
        .agg(ratio=pl.col("expected").sum() / pl.col("expected_clean").sum())
        .sort("date")
    )
    assert 0.5 < daily["ratio"].to_numpy().min() < 0.7
    trough = daily.sort("ratio")["date"][0]
    fell = daily.filter(pl.col("date").is_between(trough - timedelta(days=30), trough))
    assert fell["ratio"].to_numpy().max() > 0.99
    later = daily.filter(pl.col("date") > trough + timedelta(days=120))
    assert later.height > 0 and later["ratio"].to_numpy().min() > 0.99
