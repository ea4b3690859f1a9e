"""Temperature features per trust and day: level, heat and cold degree-days, day-to-day change.

Where no temperature is known for a day (a forecast that has run out, a gap), the trust's own
climatology for that week of the year fills in, and `temperature_is_climatology` says so; a
trust with no temperature at all keeps nulls, which LightGBM treats as missing.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from features.config import FeatureConfig

TEMPERATURE_COLUMNS = [
    "temperature_c", "heat_degree_days", "cold_degree_days", "temperature_change_1d",
    "temperature_mean_3d", "temperature_is_climatology",
]


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
    return filled.with_columns(
        heat_degree_days=(temp - config.heat_threshold_c).clip(lower_bound=0.0),
        cold_degree_days=(config.cold_threshold_c - temp).clip(lower_bound=0.0),
        temperature_change_1d=(temp - temp.shift(1)).over("trust_code"),
        temperature_mean_3d=temp.rolling_mean(3, min_samples=1).over("trust_code"),
    ).select("trust_code", "date", *TEMPERATURE_COLUMNS)
