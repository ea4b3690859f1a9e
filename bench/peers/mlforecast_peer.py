"""mlforecast with LightGBM, configured as a competent user would, run through its own
`cross_validation(..., refit=True)` with conformal intervals (a fit at every origin).

Features: lags 1, 7, 14, 21, 28 and 364; rolling means of the last 7 and 28 days and the mean of
the same weekday over the last 4 weeks; weekday, day of year, month, an England-and-Wales bank
holiday flag and the Christmas fortnight; temperature as a dynamic exogenous input (its future
values are the temperature table's, as our models get); each series standardised
(`LocalStandardScaler`) so one model serves trusts of every size. Intervals: conformal
(`PredictionIntervals(n_windows=2, h=14)`), refitted with the model at every origin.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from bench.peers.common import LEVELS, from_nixtla, long_frame
from forecast.protocol import ModelInput

if TYPE_CHECKING:
    import pandas as pd

NAME = "lgbm"
# The tree settings of our own LightGBM (forecast/lgbm.py), so that the comparison is of the
# designs, not of the tuning; leaves keep LightGBM's default minimum size (20 rows).
LGBM_PARAMS = {"n_estimators": 200, "learning_rate": 0.1, "num_leaves": 31, "max_bin": 63,
               "colsample_bytree": 0.8, "subsample": 0.8, "subsample_freq": 1, "n_jobs": 2,
               "random_state": 7, "verbosity": -1}


def bank_holiday(dates: pd.DatetimeIndex) -> np.ndarray:
    """1 on an England-and-Wales bank holiday (Wales shares England's), else 0."""
    import holidays

    days = holidays.country_holidays("GB", subdiv="ENG", years=range(dates.year.min(),
                                                                       dates.year.max() + 1))
    import pandas as pd

    return np.asarray(dates.normalize().isin(pd.to_datetime(list(days))), dtype=np.int8)


def christmas_fortnight(dates: pd.DatetimeIndex) -> np.ndarray:
    """Day of the 24 Dec - 6 Jan fortnight (1..14), 0 outside it."""
    month, day = np.asarray(dates.month), np.asarray(dates.day)
    into = np.where((month == 12) & (day >= 24), day - 23,
                    np.where((month == 1) & (day <= 6), day + 8, 0))
    return np.asarray(into, dtype=np.int8)


def run(data: ModelInput, origins: Sequence[date], horizon: int) -> pl.DataFrame:
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean
    from mlforecast.target_transforms import LocalStandardScaler
    from mlforecast.utils import PredictionIntervals

    engine = MLForecast(
        models={NAME: lgb.LGBMRegressor(**LGBM_PARAMS)},
        freq="D",
        lags=[1, 7, 14, 21, 28, 364],
        lag_transforms={1: [RollingMean(window_size=7), RollingMean(window_size=28)],
                        7: [SeasonalRollingMean(season_length=7, window_size=4)]},
        date_features=["dayofweek", "dayofyear", "month", bank_holiday, christmas_fortnight],
        target_transforms=[LocalStandardScaler()],
        num_threads=2,
    )
    cv = engine.cross_validation(
        long_frame(data), n_windows=len(origins), h=horizon, step_size=7, refit=True,
        static_features=[], prediction_intervals=PredictionIntervals(n_windows=2, h=horizon),
        level=LEVELS)
    return from_nixtla(cv, NAME, origins, horizon)
