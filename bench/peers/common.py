"""The one shape every peer honours, and the conversions to and from Nixtla's long frames.

A peer is a function `run(data, origins, horizon) -> frame`: given the attendances and the
temperature table our models see, it returns one row per (trust, origin, horizon) with
`forecast.protocol.FORECAST_COLUMNS` (point, lo80, hi80, lo95, hi95), so that the same metric
code (`forecast.metrics`) scores every peer and our own model alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from forecast.protocol import FORECAST_COLUMNS, FORECAST_SCHEMA, ModelInput

if TYPE_CHECKING:
    import pandas as pd

Peer = Callable[[ModelInput, Sequence[date], int], pl.DataFrame]
LEVELS = [80, 95]


class OriginMismatch(ValueError):
    """A peer forecast from origins other than the contract's: its scores would not compare."""


def long_frame(data: ModelInput, with_temperature: bool = True) -> pd.DataFrame:
    """Nixtla's long frame: unique_id, ds, y (and temperature), one row per observed day.

    Nixtla's tools need gap-free daily series; a gap is refused rather than silently filled.
    Temperature is joined from the same table our models read; a day it lacks takes the
    trust's previous value.
    """
    frame = data.attendances.select(
        pl.col("trust_code").alias("unique_id"), pl.col("date").alias("ds"),
        pl.col("attendances").cast(pl.Float64).alias("y"),
    ).sort("unique_id", "ds")
    gaps = frame.group_by("unique_id").agg(
        ((pl.col("ds").max() - pl.col("ds").min()).dt.total_days() + 1 - pl.len()).alias("gap"))
    if gaps["gap"].sum():
        bad = gaps.filter(pl.col("gap") > 0)["unique_id"].to_list()
        raise ValueError(f"peers need gap-free daily series; missing days in {bad[:5]}")
    if with_temperature:
        frame = frame.join(temperature_frame(data), on=["unique_id", "ds"], how="left")
        frame = frame.with_columns(
            pl.col("temperature").forward_fill().backward_fill().over("unique_id"))
    return _to_pandas(frame.with_columns(pl.col("ds").cast(pl.Datetime("ns"))))


def _to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """Column by column through numpy: no pyarrow needed (it is not a project dependency).
    Dates become datetime64[ns], as Nixtla's tools expect."""
    import pandas as pd

    frame = frame.with_columns(pl.col(pl.Date).cast(pl.Datetime("ns")))
    return pd.DataFrame({name: frame[name].to_numpy() for name in frame.columns})


def temperature_frame(data: ModelInput) -> pl.DataFrame:
    """unique_id, ds, temperature from the model input's table (an error if there is none)."""
    if data.temperature is None:
        raise ValueError("the peers are run with temperature, as our models are")
    return data.temperature.select(
        pl.col("trust_code").alias("unique_id"), pl.col("date").alias("ds"),
        pl.col("temperature_c").cast(pl.Float64).alias("temperature"),
    )


def from_nixtla(cv: pd.DataFrame, model: str, origins: Sequence[date], horizon: int
                ) -> pl.DataFrame:
    """A Nixtla `cross_validation` result (cutoff, ds, model, model-lo-80 ...) in our shape.

    Refuses a result whose cutoffs are not exactly the contract's origins.
    """
    flat = cv if "unique_id" in cv.columns else cv.reset_index()
    columns = ["unique_id", "cutoff", "ds", model,
               *[f"{model}-{side}-{level}" for level in LEVELS for side in ("lo", "hi")]]
    frame = pl.DataFrame({name: flat[name].to_numpy() for name in columns}).select(
        pl.col("unique_id").cast(pl.String).alias("trust_code"),
        pl.col("cutoff").cast(pl.Date).alias("origin"),
        pl.col("ds").cast(pl.Date).alias("date"),
        pl.col(model).alias("point"),
        *[pl.col(f"{model}-{side}-{level}").alias(f"{side}{level}")
          for level in LEVELS for side in ("lo", "hi")],
    ).with_columns((pl.col("date") - pl.col("origin")).dt.total_days().alias("horizon"))
    return checked(frame, origins, horizon)


def checked(frame: pl.DataFrame, origins: Sequence[date], horizon: int) -> pl.DataFrame:
    """The frame in FORECAST_SCHEMA, after checking its origins and horizons are the contract's."""
    found = sorted(frame["origin"].unique().to_list())
    if found != sorted(origins):
        raise OriginMismatch(f"forecast origins {found[:2]}..{found[-2:]} ({len(found)}) are not "
                             f"the contract's {sorted(origins)[:2]}.. ({len(origins)})")
    bad = frame.filter(~pl.col("horizon").is_between(1, horizon)
                       | (pl.col("date") != pl.col("origin") + pl.duration(days=pl.col("horizon"))))
    if bad.height:
        raise OriginMismatch(f"{bad.height} rows with a horizon outside 1..{horizon}: "
                             f"{bad.row(0)}")
    return frame.select(FORECAST_COLUMNS).cast(FORECAST_SCHEMA)  # type: ignore[arg-type]
