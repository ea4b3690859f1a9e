"""Temperature: UK-like climate per region, shared anomalies, a future, and forecasts."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import polars as pl

from synthetic_data import SynthConfig, SyntheticData, generate
from synthetic_data.temperature import temperature_effect

END = date(2025, 6, 30)
CONFIG = SynthConfig(trusts=10, years=3, end=END, seed=5, temperature_forecast=True)


@lru_cache(maxsize=1)
def world() -> SyntheticData:
    return generate(CONFIG)


def test_temperature_runs_past_the_end() -> None:
    temperature = world().temperature
    assert temperature["date"].min() == CONFIG.start
    assert temperature["date"].max() == END + timedelta(days=14)
    assert temperature.height == 10 * (CONFIG.n_days + 14)
    assert temperature["temperature_c"].dtype == pl.Float64


def test_winters_and_summers_look_british() -> None:
    month = pl.col("date").dt.month()
    temperature = world().temperature
    winter = temperature.filter(month.is_in([12, 1, 2]))["temperature_c"].to_numpy().mean()
    summer = temperature.filter(month.is_in([6, 7, 8]))["temperature_c"].to_numpy().mean()
    assert 2.5 < winter < 7.0
    assert 14.0 < summer < 19.5
    assert temperature["temperature_c"].is_between(-20.0, 36.0).all()


def test_anomalies_persist_from_day_to_day() -> None:
    one = world().temperature.filter(pl.col("trust_code") == world().trusts["trust_code"][0])
    values = one["temperature_c"].to_numpy()
    smooth = one["temperature_c"].rolling_mean(61, center=True).to_numpy()
    anomaly = (values - smooth)[31:-31]
    assert 0.5 < np.corrcoef(anomaly[1:], anomaly[:-1])[0, 1] < 0.9


def test_trusts_of_a_region_share_their_weather() -> None:
    trusts = world().trusts
    region = trusts.group_by("region").len().filter(pl.col("len") >= 2)["region"][0]
    codes = trusts.filter(pl.col("region") == region)["trust_code"][:2].to_list()
    wide = world().temperature.pivot(on="trust_code", index="date", values="temperature_c")
    assert np.corrcoef(wide[codes[0]].to_numpy(), wide[codes[1]].to_numpy())[0, 1] > 0.97


def test_heat_and_cold_raise_demand_and_mild_days_do_not() -> None:
    temps = np.array([[15.0] * 10, [28.0] * 10, [-4.0] * 10])
    effect = temperature_effect(temps, np.random.default_rng(0))
    assert np.allclose(effect[0], 1.0)
    assert 1.03 < effect[1, -1] < 1.3
    assert 1.01 < effect[2, -1] < 1.15


def test_forecast_error_grows_with_lead_time() -> None:
    forecast = world().temperature_forecast
    assert forecast is not None
    assert forecast["date"].max() == END + timedelta(days=14)
    assert forecast["issue_date"].max() == END
    assert (
        forecast.select(
            (pl.col("date") - pl.col("issue_date")).dt.total_days() == pl.col("lead_days")
        )
        .to_series()
        .all()
    )
    error = (
        forecast.join(world().temperature, on=["trust_code", "date"], suffix="_actual")
        .group_by("lead_days")
        .agg(sd=(pl.col("temperature_c") - pl.col("temperature_c_actual")).std())
        .sort("lead_days")
    )
    sd = error["sd"].to_numpy()
    assert np.all(np.diff(sd) > 0)
    assert sd[0] < 1.3 and sd[-1] > 2.5
