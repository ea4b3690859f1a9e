"""Calibration: real trust codes and sizes, seeded regions, plausible generated extras."""

from __future__ import annotations

import numpy as np

from synthetic_data.calibration import REGIONS, choose_trusts, new_codes, real_trusts

CODE = r"^[A-Z0-9]{3,5}$"


def test_packaged_table_holds_real_type1_trusts() -> None:
    real = real_trusts()
    assert real.height == 140
    assert real["trust_code"].is_unique().all()
    assert real["trust_code"].str.contains(CODE).all()
    assert set(real["region"]) == set(REGIONS)
    assert 100 < real["mean_daily_attendances"].to_numpy().min() < 150
    assert real["mean_daily_attendances"].to_numpy().max() > 700
    assert 0.25 < real["admissions_ratio"].to_numpy().mean() < 0.33


def test_a_few_trusts_are_a_seeded_sample_of_real_ones() -> None:
    first = choose_trusts(8, np.random.default_rng(1))
    assert first.equals(choose_trusts(8, np.random.default_rng(1)))
    assert set(first["source"]) == {"nhs_england"}
    assert set(first["trust_code"]) <= set(real_trusts()["trust_code"])
    assert first["trust_code"].is_sorted()


def test_extra_trusts_get_new_codes_and_realistic_sizes() -> None:
    trusts = choose_trusts(400, np.random.default_rng(2))
    generated = trusts.filter(trusts["source"] == "generated")
    assert generated.height == 260
    assert trusts["trust_code"].is_unique().all()
    assert trusts["trust_code"].str.contains(CODE).all()
    assert generated["mean_daily_attendances"].is_between(40, 1000).all()
    assert 200 < np.median(generated["mean_daily_attendances"].to_numpy()) < 400
    assert set(generated["region"]) <= set(REGIONS)


def test_new_codes_avoid_taken_ones_and_widen_when_short() -> None:
    taken = {"R" + a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" for b in "ABC"}
    codes = new_codes(1300, taken, np.random.default_rng(3))
    assert len(set(codes)) == 1300
    assert not set(codes) & taken
    assert {len(c) for c in codes} == {3, 4}
