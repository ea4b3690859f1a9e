"""Our default model through our own backtest loop: refit every 4 origins, as the contract's
backtest (`aeforecast backtest`) runs it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from forecast.backtest import run_backtest
from forecast.catalog import DEFAULT_MODEL, build_models
from forecast.protocol import FORECAST_COLUMNS, ModelInput


def run(data: ModelInput, origins: Sequence[date], horizon: int) -> pl.DataFrame:
    models = build_models([DEFAULT_MODEL])
    result = run_backtest(data, models, horizon, origins, refit_every=4)
    for model in models.values():
        getattr(model, "close", lambda: None)()
    return result.forecasts.select(FORECAST_COLUMNS)
