"""Prophet with England-and-Wales bank holidays and temperature as a regressor, refitted at every
origin per trust (how Prophet's own `diagnostics.cross_validation` runs it; Prophet keeps no
state to roll forward). Its fit is per series and slow, so on many trusts it runs on a subset.

Point: `yhat`; the 80% and 95% intervals: quantiles of `predictive_samples` (Prophet's default
1,000 draws), so both levels come from one fit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from bench.peers.common import checked, long_frame
from forecast.protocol import ModelInput

if TYPE_CHECKING:
    import pandas as pd

QUANTILES = {"lo95": 0.025, "lo80": 0.10, "hi80": 0.90, "hi95": 0.975}


def bank_holidays(first: date, last: date) -> pd.DataFrame:
    """Prophet's holidays frame: every England-and-Wales bank holiday from `first` to `last`."""
    import holidays
    import pandas as pd

    days = holidays.country_holidays("GB", subdiv="ENG", years=range(first.year, last.year + 1))
    return pd.DataFrame({"holiday": list(days.values()), "ds": pd.to_datetime(list(days))})


def run(data: ModelInput, origins: Sequence[date], horizon: int) -> pl.DataFrame:
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).setLevel(logging.WARNING)
    frame = long_frame(data)
    first, last = frame["ds"].min().date(), frame["ds"].max().date()
    holidays = bank_holidays(first, last + timedelta(days=horizon))
    rows = [_forecast(series, origin, horizon, holidays)
            for _, series in frame.groupby("unique_id") for origin in origins]
    return checked(pl.concat(rows), origins, horizon)


def _forecast(series: pd.DataFrame, origin: date, horizon: int, holidays: pd.DataFrame
              ) -> pl.DataFrame:
    import pandas as pd
    from prophet import Prophet

    cut = pd.Timestamp(origin)
    history = series[series["ds"] <= cut]
    future = series[(series["ds"] > cut)
                    & (series["ds"] <= cut + pd.Timedelta(days=horizon))].drop(columns="y")
    model = Prophet(holidays=holidays, yearly_seasonality=True, weekly_seasonality=True,
                    daily_seasonality=False)
    model.add_regressor("temperature")
    model.fit(history.drop(columns="unique_id"))
    point = model.predict(future)["yhat"].to_numpy()
    draws = model.predictive_samples(future)["yhat"]
    bounds = {name: np.quantile(draws, q, axis=1) for name, q in QUANTILES.items()}
    return pl.DataFrame({
        "trust_code": str(series["unique_id"].iloc[0]),
        "origin": origin,
        "date": [d.date() for d in future["ds"]],
        "horizon": [(d.date() - origin).days for d in future["ds"]],
        "point": point, **bounds,
    })
