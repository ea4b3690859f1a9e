"""Write a synthetic world to a directory as Parquet files (names and columns: docs/usage.md)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from synthetic_data.generate import SyntheticData

FORECAST_FILE = "temperature_forecast.parquet"


def write(data: SyntheticData, out_dir: Path | str) -> list[Path]:
    """Write every frame; each file appears whole or not at all. Returns the paths written.

    A stale temperature_forecast.parquet from an earlier run is removed when this world has none,
    so a directory never mixes two worlds.
    """
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    frames: dict[str, pl.DataFrame] = {
        "attendances.parquet": data.attendances,
        "temperature.parquet": data.temperature,
        "truth.parquet": data.truth,
        "trusts.parquet": data.trusts,
        "hierarchy.parquet": data.hierarchy,
        "site_attendances.parquet": data.site_attendances,
        "site_truth.parquet": data.site_truth,
    }
    if data.temperature_forecast is not None:
        frames[FORECAST_FILE] = data.temperature_forecast
    else:
        (directory / FORECAST_FILE).unlink(missing_ok=True)
    written = []
    for name, frame in frames.items():
        path = directory / name
        partial = directory / f".{name}.partial"
        frame.write_parquet(partial)
        os.replace(partial, path)
        written.append(path)
    return written
