from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from forecast.lgbm import GlobalLightGBM
from forecast.protocol import FORECAST_COLUMNS, ModelInput
from synthetic_data import SynthConfig, generate

END = date(2024, 10, 31)


@pytest.fixture(scope="module")
def world() -> tuple[ModelInput, pl.DataFrame]:
    data = generate(SynthConfig(trusts=10, years=3, end=END, seed=5, gaps=0.02, late_starts=1))
    return ModelInput(data.attendances, data.temperature), data.truth


@pytest.fixture(scope="module")
def fitted(world: tuple[ModelInput, pl.DataFrame]) -> GlobalLightGBM:
    model = GlobalLightGBM(max_horizon=14, rounds=150)
    model.fit(world[0].up_to(END - timedelta(days=28)))
    return model


def test_forecasts_every_trust_with_ordered_intervals(
    world: tuple[ModelInput, pl.DataFrame], fitted: GlobalLightGBM,
) -> None:
    origin = END - timedelta(days=14)
    out = fitted.predict(world[0].up_to(origin), origin, 14)
    assert out.columns == FORECAST_COLUMNS
    assert out.height == world[0].attendances["trust_code"].n_unique() * 14
    ordered = (out["lo95"] <= out["lo80"]) & (out["lo80"] <= out["point"]) & (
        out["point"] <= out["hi80"]) & (out["hi80"] <= out["hi95"])
    assert ordered.all()
    assert out["horizon"].min() == 1 and out["horizon"].max() == 14


def test_close_to_the_truth_and_better_than_last_week(
    world: tuple[ModelInput, pl.DataFrame], fitted: GlobalLightGBM,
) -> None:
    data, truth = world
    origin = END - timedelta(days=14)
    out = fitted.predict(data.up_to(origin), origin, 14).join(
        truth.select("trust_code", "date", "expected"), on=["trust_code", "date"])
    relative_error = ((out["point"] - out["expected"]).abs() / out["expected"]).mean()
    assert relative_error is not None and relative_error < 0.05
    actual = data.attendances.select("trust_code", "date", "attendances")
    last_week = actual.with_columns(pl.col("date") + pl.duration(days=7)).rename(
        {"attendances": "naive"})
    scored = out.join(actual, on=["trust_code", "date"]).join(
        last_week, on=["trust_code", "date"])
    ours = (scored["point"] - scored["attendances"]).abs().mean()
    naive = (scored["naive"] - scored["attendances"]).abs().mean()
    assert isinstance(ours, float) and isinstance(naive, float) and ours < naive


def test_predict_never_refits_and_only_reads_history(
    world: tuple[ModelInput, pl.DataFrame], fitted: GlobalLightGBM,
) -> None:
    data = world[0]
    booster = fitted.booster
    origin = END - timedelta(days=7)
    first = fitted.predict(data.up_to(origin), origin, 7)
    poisoned = ModelInput(
        data.attendances.with_columns(
            pl.when(pl.col("date") > origin).then(pl.col("attendances") * 50)
            .otherwise(pl.col("attendances")).alias("attendances")),
        data.temperature,
    )
    again = fitted.predict(poisoned.up_to(origin), origin, 7)
    assert fitted.booster is booster
    assert first.equals(again)


def test_holdout_skill_is_recorded_for_the_registry(fitted: GlobalLightGBM) -> None:
    meta = fitted.describe()
    assert meta["holdout"]["mae"] > 0
    assert len(meta["holdout"]["by_horizon"]) == 14
    assert all(np.isfinite(v) for v in fitted.holdout_mae.values())
