"""Forecast drivers: LightGBM's contributions by family and the baselines' decomposition, both
adding up to the point forecast."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from features.families import FAMILIES, feature_families
from features.pipeline import feature_names
from forecast.baselines.snaive import SeasonalNaive
from forecast.combination import SkillSelect
from forecast.drivers import DRIVER_SCHEMA, FAMILY_TEXT, baseline_drivers, explain, lgbm_drivers
from forecast.lgbm import GlobalLightGBM
from forecast.protocol import ModelInput
from synthetic_data import SynthConfig, generate

END = date(2025, 1, 31)
ORIGIN = END - timedelta(days=14)


@pytest.fixture(scope="module")
def data() -> ModelInput:
    world = generate(SynthConfig(trusts=6, years=2, end=END, seed=3))
    return ModelInput(world.attendances, world.temperature)


@pytest.fixture(scope="module")
def ensemble(data: ModelInput) -> SkillSelect:
    model = SkillSelect({"lgbm": GlobalLightGBM(max_horizon=14, rounds=60),
                         "snaive": SeasonalNaive()})
    model.fit(data.up_to(ORIGIN))
    trusts = sorted(data.attendances["trust_code"].unique().to_list())
    model.choice = {code: "lgbm" for code in trusts} | {trusts[0]: "snaive"}
    return model


def sums(drivers: pl.DataFrame) -> pl.Series:
    return drivers.select(pl.sum_horizontal(*FAMILIES).alias("total"))["total"]


def test_every_feature_has_a_family_and_every_family_words() -> None:
    assert set(feature_families()) == set(feature_names())
    assert set(FAMILY_TEXT) == set(FAMILIES)


def test_ensemble_drivers_add_up_to_the_served_point(data: ModelInput, ensemble: SkillSelect
                                                     ) -> None:
    seen = data.up_to(ORIGIN)
    forecast = ensemble.predict(seen, ORIGIN, 14)
    drivers = explain(ensemble, seen, forecast)
    assert drivers.schema == pl.Schema(DRIVER_SCHEMA)
    joined = forecast.join(drivers, on=["trust_code", "date"])
    assert joined.height == forecast.height
    assert np.allclose(sums(joined).to_numpy(), joined["point"].to_numpy(), atol=1e-6)
    snaive_trust = sorted(ensemble.choice)[0]
    by_model = joined.group_by(pl.col("trust_code") == snaive_trust).agg(
        pl.col("temperature").is_null().all().alias("no_temperature"),
        pl.col("weekday").abs().sum().alias("weekday"))
    flags = dict(zip(by_model["trust_code"], by_model["no_temperature"], strict=True))
    assert flags[True] and not flags[False]  # snaive: no temperature; LightGBM: it has one
    assert (by_model["weekday"] > 0).all()


def test_lightgbm_drivers_follow_what_the_model_learned(data: ModelInput, ensemble: SkillSelect
                                                        ) -> None:
    """Weekday: Mondays get a positive weekday driver at every LightGBM trust, Sundays not."""
    seen = data.up_to(ORIGIN)
    forecast = ensemble.predict(seen, ORIGIN, 14)
    lgbm_rows = explain(ensemble, seen, forecast).filter(pl.col("temperature").is_not_null())
    weekday = lgbm_rows.with_columns(dow=pl.col("date").dt.weekday()).group_by("dow").agg(
        pl.col("weekday").mean()).sort("dow")
    assert weekday.filter(pl.col("dow") == 1)["weekday"].item() > 0
    assert weekday["weekday"].max() == weekday.filter(pl.col("dow") == 1)["weekday"].item()


def test_lmdi_allocation_is_exact_and_keeps_signs() -> None:
    terms = {"recent_level": np.log(np.array([300.0, 300.0, 50.0])),
             "weekday": np.array([0.1, -0.1, 0.0]), "temperature": np.array([0.05, 0.0, 0.0]),
             "other": np.zeros(3)}
    point = 300.0 * np.exp(np.array([0.15, -0.1, 0.0]))
    out = lgbm_drivers(terms, point)  # type: ignore[arg-type]
    assert np.allclose(out.sum(axis=1), point)
    col = {f: out[:, i] for i, f in enumerate(FAMILIES)}
    assert col["recent_level"] == pytest.approx([300.0, 300.0, 50.0])
    assert col["weekday"][0] > 0 > col["weekday"][1] and col["weekday"][2] == 0
    assert col["weekday"][0] == pytest.approx(2 * col["temperature"][0])


def test_baseline_decomposition_adds_up() -> None:
    days = pl.date_range(date(2024, 1, 1), date(2024, 2, 4), eager=True)
    history = pl.DataFrame({"trust_code": "RXX", "date": days,
                            "attendances": [200 + 30 * (d.weekday() == 0) for d in days]})
    origin = date(2024, 2, 4)
    forecast = pl.DataFrame({"trust_code": "RXX", "origin": origin,
                             "date": [origin + timedelta(days=h) for h in (1, 2)],
                             "point": [231.0, 199.0]})
    out = baseline_drivers(history, forecast)
    assert np.allclose(sums(out).to_numpy(), [231.0, 199.0])
    monday = out.row(0, named=True)
    assert monday["weekday"] == pytest.approx(30 - 30 / 7)
    assert monday["recent_level"] == pytest.approx(200 + 30 / 7)
    assert monday["season"] is None and monday["temperature"] is None
