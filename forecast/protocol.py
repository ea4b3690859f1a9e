"""The one small protocol every model honours, so baselines and LightGBM are interchangeable.

A model is *fitted* on history (learning parameters), then asked to *predict* from an origin:
`predict` receives the history up to and including the origin (never later), and may update
its state from it (new levels, new lags) without refitting. The backtest and the nightly batch
both drive models only through this protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, TypeAlias, runtime_checkable

import polars as pl

TrustCode: TypeAlias = str
ModelName: TypeAlias = str

# Quantile levels behind the interval columns; `point` is the model's central forecast.
INTERVAL_LEVELS: dict[str, float] = {"lo95": 0.025, "lo80": 0.10, "hi80": 0.90, "hi95": 0.975}
FORECAST_COLUMNS: list[str] = [
    "trust_code", "origin", "date", "horizon", "point", "lo80", "hi80", "lo95", "hi95",
]
FORECAST_SCHEMA: dict[str, pl.DataType] = {
    "trust_code": pl.String(),
    "origin": pl.Date(),
    "date": pl.Date(),
    "horizon": pl.Int32(),
    "point": pl.Float64(),
    "lo80": pl.Float64(),
    "hi80": pl.Float64(),
    "lo95": pl.Float64(),
    "hi95": pl.Float64(),
}


@dataclass(frozen=True)
class ModelInput:
    """What a model may see.

    `attendances`: trust_code (str), date (date), attendances (int), optional admissions;
    one row per observed trust-day, missing days simply absent.
    `temperature`: trust_code, date, temperature_c; may run past the origin (a forecast).
    `nations`: trust_code -> "England" | "Wales" | "Scotland" | "NorthernIreland"; default England.
    """

    attendances: pl.DataFrame
    temperature: pl.DataFrame | None = None
    nations: dict[TrustCode, str] = field(default_factory=dict)

    def up_to(self, origin: date) -> ModelInput:
        """The same input with every actual after `origin` removed (temperature is kept)."""
        return ModelInput(
            attendances=self.attendances.filter(pl.col("date") <= origin),
            temperature=self.temperature,
            nations=self.nations,
        )


@runtime_checkable
class Forecaster(Protocol):
    """Fit on history; predict a horizon with a point and 80%/95% intervals per trust."""

    name: ModelName

    def fit(self, data: ModelInput) -> None:
        """Learn parameters from every actual in `data`."""
        ...

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        """Forecast days origin+1 .. origin+horizon for every trust with history in `data`.

        `data` holds no actual after `origin`. Returns FORECAST_COLUMNS with
        lo95 <= lo80 <= point <= hi80 <= hi95.
        """
        ...


def empty_forecast() -> pl.DataFrame:
    """A forecast frame with no rows and the right schema."""
    return pl.DataFrame(schema=FORECAST_SCHEMA)
