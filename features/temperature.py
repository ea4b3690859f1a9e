"""Temperature features per trust and day: level, heat and cold degree-days, day-to-day change.

`degree_days` is the one definition of heat and cold degree-days: these features and ARIMAX's
regressors both use it.

Where no temperature is known for a day (a forecast that has run out, a gap), the trust's own
climatology for that week of the year fills in, and `temperature_is_climatology` says so; a
trust with no temperature at all keeps nulls, which LightGBM treats as missing.
"""

from __future__ import annotations

from datetime import date
from typing import overload

import numpy as np
import numpy.typing as npt
import polars as pl

from features.config import DEFAULT_FEATURES, FeatureConfig

FloatArray = npt.NDArray[np.float64]

TEMPERATURE_COLUMNS = [
    "temperature_c", "heat_degree_days", "cold_degree_days", "temperature_change_1d",
    "temperature_mean_3d", "temperature_is_climatology",
]


@overload
def degree_days(temperature_c: pl.Expr, config: FeatureConfig = ...) -> tuple[pl.Expr, pl.Expr]:
    ...


@overload
def degree_days(temperature_c: FloatArray, config: FeatureConfig = ...
                ) -> tuple[FloatArray, FloatArray]:
    ...


def degree_days(temperature_c: pl.Expr | FloatArray, config: FeatureConfig = DEFAULT_FEATURES
                ) -> tuple[pl.Expr, pl.Expr] | tuple[FloatArray, FloatArray]:
    """(heat, cold): degrees above `heat_threshold_c` and below `cold_threshold_c`, else 0.

    Demand rises in heat and in cold but not in between, so a straight line in temperature
    cannot hold both; one definition keeps LightGBM and ARIMAX seeing the same weather.
    """
    if isinstance(temperature_c, pl.Expr):
        return ((temperature_c - config.heat_threshold_c).clip(lower_bound=0.0),
                (config.cold_threshold_c - temperature_c).clip(lower_bound=0.0))
    return (np.maximum(temperature_c - config.heat_threshold_c, 0.0),
            np.maximum(config.cold_threshold_c - temperature_c, 0.0))


def temperature_frame(
    temperature: pl.DataFrame | None,
    trusts: list[str],
    start: date,
    end: date,
    config: FeatureConfig,
) -> pl.DataFrame:
    """trust_code, date and TEMPERATURE_COLUMNS for every trust-day in start..end."""
    days = pl.DataFrame({"date": pl.date_range(start, end, interval="1d", eager=True)})
    grid = pl.DataFrame({"trust_code": trusts}).join(days, how="cross")
    if temperature is None or temperature.is_empty():
        observed = grid.with_columns(temperature_c=pl.lit(None, dtype=pl.Float64))
    else:
        observed = grid.join(
            temperature.select("trust_code", "date", pl.col("temperature_c").cast(pl.Float64)),
            on=["trust_code", "date"],
            how="left",
        )
    week = pl.col("date").dt.week()
    climatology = (
        observed.drop_nulls("temperature_c")
        .group_by("trust_code", week.alias("week"))
        .agg(pl.col("temperature_c").mean().alias("climatology_c"))
    )
    filled = (
        observed.with_columns(week=week)
        .join(climatology, on=["trust_code", "week"], how="left")
        .with_columns(
            temperature_is_climatology=(
                pl.col("temperature_c").is_null() & pl.col("climatology_c").is_not_null()
            ).cast(pl.Int8),
            temperature_c=pl.coalesce("temperature_c", "climatology_c"),
        )
        .sort("trust_code", "date")
    )
    temp = pl.col("temperature_c")
    heat, cold = degree_days(temp, config)
    return filled.with_columns(
        heat_degree_days=heat,
        cold_degree_days=cold,
        temperature_change_1d=(temp - temp.shift(1)).over("trust_code"),
        temperature_mean_3d=temp.rolling_mean(3, min_samples=1).over("trust_code"),
    ).select("trust_code", "date", *TEMPERATURE_COLUMNS)
