"""Metric functions against values computed by hand."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from forecast.metrics import (
    by_horizon,
    by_month,
    by_weekday,
    coverage80,
    coverage95,
    evaluate,
    mae,
    mape,
    mase,
    oracle,
    pinball,
    seasonal_naive_scale,
    true_median,
    width80,
    with_mase_scale,
)

ORIGIN = date(2024, 1, 7)  # a Sunday


def frame(rows: list[tuple[str, str, int, float, float | None]]) -> pl.DataFrame:
    """(model, trust, horizon, point, actual) with symmetric intervals point +-2 and +-4."""
    return pl.DataFrame(
        {
            "model": [r[0] for r in rows],
            "trust_code": [r[1] for r in rows],
            "origin": [ORIGIN] * len(rows),
            "date": [ORIGIN + timedelta(days=r[2]) for r in rows],
            "horizon": [r[2] for r in rows],
            "point": [r[3] for r in rows],
            "lo80": [r[3] - 2 for r in rows],
            "hi80": [r[3] + 2 for r in rows],
            "lo95": [r[3] - 4 for r in rows],
            "hi95": [r[3] + 4 for r in rows],
            "actual": pl.Series([r[4] for r in rows], dtype=pl.Int64),
        }
    )


@pytest.fixture
def df() -> pl.DataFrame:
    return frame([
        ("m", "RA", 1, 10.0, 12),    # error -2, inside 80 (edge) and 95
        ("m", "RA", 2, 10.0, 0),     # error 10, zero actual (no MAPE), outside both
        ("m", "RB", 1, 20.0, 17),    # error 3, outside 80, inside 95
        ("m", "RB", 2, 20.0, None),  # missing day: never scored
    ])


def test_mae_mape_coverage_width(df: pl.DataFrame) -> None:
    assert mae(df)["mae"].item() == pytest.approx((2 + 10 + 3) / 3)
    assert mape(df)["mape"].item() == pytest.approx((2 / 12 + 3 / 17) / 2)
    assert coverage80(df)["coverage80"].item() == pytest.approx(1 / 3)
    assert coverage95(df)["coverage95"].item() == pytest.approx(2 / 3)
    assert width80(df)["width80"].item() == pytest.approx(4.0)


def test_pinball_averages_five_quantiles() -> None:
    one = frame([("m", "RA", 1, 10.0, 12)])
    # bounds 6, 8, 10, 12, 14: q * (12 - bound) at or above, (1 - q) * (bound - 12) below
    expected = (0.025 * 6 + 0.10 * 4 + 0.5 * 2 + 0.90 * 0 + 0.025 * 2) / 5
    assert pinball(one)["pinball"].item() == pytest.approx(expected)
    below = frame([("m", "RA", 1, 10.0, 5)])  # under lo95=6: loss (1 - q) * (bound - 5)
    expected = (0.975 * 1 + 0.9 * 3 + 0.5 * 5 + 0.1 * 7 + 0.025 * 9) / 5
    assert pinball(below)["pinball"].item() == pytest.approx(expected)


def test_evaluate_groups_and_joins(df: pl.DataFrame) -> None:
    both = pl.concat([df, df.with_columns(model=pl.lit("n"), point=pl.col("point") + 1,
                                          lo80=pl.col("lo80") + 1, hi80=pl.col("hi80") + 1,
                                          lo95=pl.col("lo95") + 1, hi95=pl.col("hi95") + 1)])
    out = evaluate(both, [mae, coverage80], by=["model"])
    assert out.columns == ["model", "mae", "coverage80"]
    assert out["model"].to_list() == ["m", "n"]
    assert out["mae"].to_list() == pytest.approx([5.0, (1 + 11 + 4) / 3])
    horizons = by_horizon(both, [mae])
    assert horizons.filter(model="m")["mae"].to_list() == pytest.approx([2.5, 10.0])
    overall = evaluate(df, [mae, coverage95], by=[])
    assert overall.shape == (1, 2)


def test_weekday_and_month_breakdowns(df: pl.DataFrame) -> None:
    weekdays = by_weekday(df, [mae])
    assert weekdays["weekday"].to_list() == [1, 2]  # origin Sunday: Monday, Tuesday
    assert weekdays["mae"].to_list() == pytest.approx([2.5, 10.0])
    assert by_month(df, [mae])["month"].to_list() == [1]


def test_seasonal_naive_scale_uses_history_up_to_the_first_origin() -> None:
    days = [ORIGIN - timedelta(days=13 - i) for i in range(14)] + [ORIGIN + timedelta(days=7)]
    values = [10] * 7 + [12, 8, 10, 10, 10, 10, 13] + [1000]  # the future must not count
    history = pl.DataFrame({"trust_code": "RA", "date": days, "attendances": values})
    scale = seasonal_naive_scale(history, ORIGIN)
    assert scale["mase_scale"].item() == pytest.approx((2 + 2 + 0 + 0 + 0 + 0 + 3) / 7)


def test_mase_is_the_mean_over_trusts_of_scaled_mae(df: pl.DataFrame) -> None:
    scaled = df.with_columns(mase_scale=pl.when(pl.col("trust_code") == "RA").then(2.0)
                             .otherwise(3.0))
    # RA: MAE 6 / 2 = 3; RB: MAE 3 / 3 = 1; mean over trusts = 2 (not the row-weighted 2.33)
    assert mase(scaled)["mase"].item() == pytest.approx(2.0)
    with pytest.raises(ValueError, match="with_mase_scale"):
        mase(df)


def test_with_mase_scale_falls_back_for_trusts_that_appear_late(df: pl.DataFrame) -> None:
    early = [ORIGIN - timedelta(days=13 - i) for i in range(14)]
    late = [ORIGIN + timedelta(days=i) for i in range(1, 9)]
    history = pl.concat([
        pl.DataFrame({"trust_code": "RA", "date": early, "attendances": [10, 12] * 7}),
        pl.DataFrame({"trust_code": "RB", "date": late, "attendances": [5] * 7 + [9]}),
    ])
    out = with_mase_scale(df, history)
    scales = dict(out.select("trust_code", "mase_scale").unique().iter_rows())
    assert scales["RA"] == pytest.approx(2.0)
    # RB has no history by the first origin; its history up to the last origin has no lag-7
    # pair either, so it is left out of MASE
    assert scales["RB"] is None
    assert math.isfinite(mase(out)["mase"].item())


def test_true_median_prefers_the_median_column_then_poisson() -> None:
    given = pl.DataFrame({"trust_code": ["RA"], "date": [ORIGIN], "expected": [10.0],
                          "median": [9.0]})
    assert true_median(given)["median"].item() == 9.0
    lam = [0.0, 0.5, 3.0, 10.5, 200.2]
    poisson = pl.DataFrame({"trust_code": ["RA"] * 5,
                            "date": [ORIGIN + timedelta(days=i) for i in range(5)],
                            "expected": lam})
    assert true_median(poisson)["median"].to_list() == [0.0, 0.0, 3.0, 10.0, 200.0]


def test_oracle_scores_exactly_the_models_rows(df: pl.DataFrame) -> None:
    truth = pl.DataFrame({
        "trust_code": ["RA", "RA", "RB", "RB", "RC"],
        "date": [ORIGIN + timedelta(days=d) for d in (1, 2, 1, 2, 1)],
        "expected": [11.0, 2.0, 16.0, 50.0, 99.0],
        "median": [11.0, 2.0, 16.0, 50.0, 99.0],
    })
    doubled = pl.concat([df, df.with_columns(origin=ORIGIN - timedelta(days=1),
                                             horizon=pl.col("horizon") + 1)])
    out = oracle(doubled, truth)
    # rows scored: RA d1 (|11-12|=1), RA d2 (|2-0|=2), RB d1 (|16-17|=1); twice each
    assert out["oracle_mae"].item() == pytest.approx(4 / 3)
    assert out["model_mae"].item() == pytest.approx(5.0)
    assert out["n_oracle"].item() == 6
