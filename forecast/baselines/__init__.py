"""Baseline models honouring the Forecaster protocol: seasonal naive, ETS and ARIMAX."""

from forecast.baselines.arimax import ARIMAX
from forecast.baselines.ets import ETS
from forecast.baselines.snaive import SeasonalNaive

__all__ = ["ARIMAX", "ETS", "SeasonalNaive"]
