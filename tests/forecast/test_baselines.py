"""Baselines on small seeded synthetic data: protocol, intervals, gaps, short histories."""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

from contract.errors import ModelError
from forecast.baselines import ARIMAX, ETS, SeasonalNaive
from forecast.baselines._parallel import WorkerPool
from forecast.baselines._statespace import state_paths
from forecast.baselines.snaive import snaive_paths
from forecast.protocol import FORECAST_COLUMNS, Forecaster, ModelInput

END = date(2024, 12, 31)
WEEKLY = np.array([1.15, 1.02, 0.98, 0.97, 0.97, 0.94, 0.97])


def make_attendances(n_trusts: int = 5, days: int = 730, seed: int = 0) -> pl.DataFrame:
    """Multiplicative level x weekday x winter series with Poisson noise, seeded."""
    rng = np.random.default_rng(seed)
    dates = [END - timedelta(days=days - 1 - i) for i in range(days)]
    weekday = np.array([d.weekday() for d in dates])
    doy = np.array([d.timetuple().tm_yday for d in dates])
    frames = []
    for k in range(n_trusts):
        level = rng.uniform(80, 400) * np.exp(np.cumsum(rng.normal(0, 0.003, days)))
        mu = level * WEEKLY[weekday] * (1 + 0.08 * np.cos(2 * np.pi * (doy - 15) / 365.25))
        frames.append(pl.DataFrame({"trust_code": f"R{k:02d}", "date": dates,
                                    "attendances": rng.poisson(mu)}))
    return pl.concat(frames)


@pytest.fixture(scope="module")
def messy() -> pl.DataFrame:
    """5 trusts x 2 years, with a 6-week gap, scattered missing days, a 3-month-old trust."""
    frame = make_attendances()
    rng = np.random.default_rng(1)
    frame = frame.filter(
        ~((pl.col("trust_code") == "R01") & pl.col("date").is_between(date(2024, 5, 1),
                                                                      date(2024, 6, 12))),
        pl.Series(rng.random(frame.height) > 0.01),
    )
    frame = frame.filter((pl.col("trust_code") != "R02") | (pl.col("date") >= date(2024, 10, 1)))
    late = make_attendances(1, 20, seed=3).with_columns(trust_code=pl.lit("R09"))
    return pl.concat([frame, late])


MODELS = [lambda: SeasonalNaive(), lambda: ETS(n_jobs=1), lambda: ARIMAX(180, n_jobs=1)]
IDS = ["snaive", "ets", "arimax"]


@pytest.mark.parametrize("factory", MODELS, ids=IDS)
def test_forecasts_every_trust_with_ordered_intervals(factory, messy: pl.DataFrame) -> None:
    model = factory()
    assert isinstance(model, Forecaster)
    origin = date(2024, 12, 10)
    data = ModelInput(messy).up_to(origin)
    model.fit(data)
    forecast = model.predict(data, origin, 14)
    assert forecast.columns == FORECAST_COLUMNS
    assert set(forecast["trust_code"]) == {"R00", "R01", "R02", "R03", "R04"}  # R09 starts later
    assert forecast.group_by("trust_code").len()["len"].to_list() == [14] * 5
    assert forecast["horizon"].sort().unique().to_list() == list(range(1, 15))
    ordered = forecast.select(
        (pl.col("lo95") <= pl.col("lo80")) & (pl.col("lo80") <= pl.col("point"))
        & (pl.col("point") <= pl.col("hi80")) & (pl.col("hi80") <= pl.col("hi95"))
        & (pl.col("lo95") >= 0)).to_series()
    assert ordered.all()
    dates = forecast.select(pl.col("origin") + pl.duration(days=pl.col("horizon"))).to_series()
    assert (forecast["date"] == dates).all()


@pytest.mark.parametrize("factory", MODELS, ids=IDS)
def test_coverage_is_reasonable_and_ets_beats_snaive(factory, messy: pl.DataFrame) -> None:
    model = factory()
    rows = []
    for k, origin in enumerate([date(2024, 10, 1) + timedelta(days=7 * i) for i in range(10)]):
        data = ModelInput(messy).up_to(origin)
        if k % 5 == 0:
            model.fit(data)
        rows.append(model.predict(data, origin, 14))
    scored = pl.concat(rows).join(messy, on=["trust_code", "date"])
    cover80 = scored.select(pl.col("attendances").is_between(pl.col("lo80"), pl.col("hi80"))
                            .mean()).item()
    cover95 = scored.select(pl.col("attendances").is_between(pl.col("lo95"), pl.col("hi95"))
                            .mean()).item()
    mae = scored.select((pl.col("point") - pl.col("attendances")).abs().mean()).item()
    assert 0.65 <= cover80 <= 0.93
    assert 0.85 <= cover95 <= 1.0
    limit = {"snaive": 30.0, "ets": 20.0, "arimax": 20.0}[model.name]
    assert mae < limit


def test_short_and_late_trusts_fall_back_to_seasonal_naive(messy: pl.DataFrame) -> None:
    origin = END
    data = ModelInput(messy).up_to(origin)
    ets, snaive = ETS(n_jobs=1), SeasonalNaive()
    ets.fit(data)
    snaive.fit(data)
    late_ets = ets.predict(data, origin, 7).filter(pl.col("trust_code") == "R09")
    late_naive = snaive.predict(data, origin, 7).filter(pl.col("trust_code") == "R09")
    assert late_ets.height == 7
    assert late_ets["point"].to_list() == late_naive["point"].to_list()


def test_seasonal_naive_repeats_the_last_week() -> None:
    values = np.arange(1.0, 15.0)[:, None]  # days 0..13 hold 1..14
    values[10, 0] = np.nan  # a gap: fall back to the same weekday a week earlier
    paths = snaive_paths(values, np.array([13]), 9)[0, :, 0]
    assert paths.tolist() == [8.0, 9.0, 10.0, 4.0, 12.0, 13.0, 14.0, 8.0, 9.0]


def test_seasonal_naive_with_under_a_week_of_history() -> None:
    frame = pl.DataFrame({"trust_code": ["RXX"] * 3,
                          "date": [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 3)],
                          "attendances": [10, 20, 30]})
    model = SeasonalNaive()
    model.fit(ModelInput(frame))
    forecast = model.predict(ModelInput(frame), date(2024, 1, 3), 8)
    assert forecast["point"].to_list() == [30.0, 30.0, 30.0, 30.0, 10.0, 20.0, 30.0, 30.0]


@pytest.mark.parametrize("model", [SeasonalNaive(), ETS(n_jobs=1), ARIMAX(n_jobs=1)], ids=IDS)
def test_predict_before_fit_is_refused(model: Forecaster, messy: pl.DataFrame) -> None:
    with pytest.raises(ModelError, match="before fit"):
        model.predict(ModelInput(messy), END, 7)


def test_ets_in_worker_processes_matches_in_process(messy: pl.DataFrame) -> None:
    origin = date(2024, 11, 30)
    data = ModelInput(messy).up_to(origin)
    serial, parallel = ETS(n_jobs=1), ETS(n_jobs=2)
    parallel._pool = WorkerPool(2, min_jobs=1)
    try:
        for model in (serial, parallel):
            model.fit(data)
        left, right = serial.predict(data, origin, 14), parallel.predict(data, origin, 14)
    finally:
        parallel.close()
    assert left.equals(right)


def test_state_paths_match_statsmodels_forecasts() -> None:
    rng = np.random.default_rng(0)
    z = np.log1p(rng.poisson(200 * WEEKLY[np.arange(200) % 7]).astype(float))
    z[50:60] = np.nan

    def model(y: np.ndarray) -> ExponentialSmoothing:
        return ExponentialSmoothing(y, seasonal=7, initialization_method="known",
                                    initial_level=5.3, initial_seasonal=np.zeros(7))

    paths = state_paths(model(z).filter([0.1, 0.05]), np.array([120, 150]), 5)
    for row, origin in zip(paths, [120, 150], strict=True):
        expected = model(z[: origin + 1]).filter([0.1, 0.05]).forecast(5)
        np.testing.assert_allclose(row, expected, rtol=1e-9)


def test_arimax_uses_the_temperature_of_the_forecast_days() -> None:
    days = 400
    rng = np.random.default_rng(4)
    dates = [END - timedelta(days=days - 1 - i) for i in range(days + 7)]
    temp = 10 + 8 * np.sin(np.arange(days + 7) / 9.0) + rng.normal(0, 1, days + 7)
    mu = 200 * WEEKLY[[d.weekday() for d in dates]] * (1 + 0.02 * np.maximum(15.5 - temp, 0))
    attendances = pl.DataFrame({"trust_code": "RXX", "date": dates[:days],
                                "attendances": rng.poisson(mu[:days])})
    temperature = pl.DataFrame({"trust_code": "RXX", "date": dates, "temperature_c": temp})
    model = ARIMAX(180, n_jobs=1)
    data = ModelInput(attendances, temperature)
    model.fit(data)
    warm = model.predict(data, END, 7)
    colder = ModelInput(attendances, temperature.with_columns(
        pl.when(pl.col("date") > END).then(pl.col("temperature_c") - 10)
        .otherwise(pl.col("temperature_c"))))
    cold = model.predict(colder, END, 7)
    assert (cold["point"] > warm["point"] + 5).all()  # colder days, more attendances
    error = np.abs(warm["point"].to_numpy() - mu[days:]).mean()
    assert error < 12


def test_arimax_without_temperature_uses_weekdays_only(messy: pl.DataFrame) -> None:
    model = ARIMAX(180, n_jobs=1)
    data = ModelInput(messy.filter(pl.col("trust_code").is_in(["R00", "R03"])))
    model.fit(data)
    forecast = model.predict(data, END, 7)
    assert forecast.height == 14
    assert forecast["point"].is_finite().all()


def test_ets_pickles_small_and_predicts_the_same_after(messy: pl.DataFrame) -> None:
    data = ModelInput(messy).up_to(END)
    model = ETS(n_jobs=1)
    model.fit(data)
    blob = pickle.dumps(model)
    assert len(blob) < 300_000  # two calibrators (~70 KB each); no residuals, no process pool
    again = pickle.loads(blob)
    assert again.predict(data, END, 14).equals(model.predict(data, END, 14))


def test_seasonal_naive_imports_without_statsmodels() -> None:
    code = ("import sys; from forecast.baselines.snaive import SeasonalNaive; "
            "print('statsmodels' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
