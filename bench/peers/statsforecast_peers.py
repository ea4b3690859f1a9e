"""statsforecast as its users run it: `StatsForecast.cross_validation` with `level=[80, 95]`.

- `snaive`: SeasonalNaive(7), the textbook benchmark, with its own (normal) intervals.
- `autoets`: AutoETS with weekly season (ETS takes no exogenous input).
- `mstl`: MSTL with weekly and yearly seasons and its default trend forecaster (AutoETS, no
  season). With AutoARIMA as the trend forecaster MSTL would take temperature, but Cardiff's one
  series then took 262 s (stepwise ARIMA search at every refit, load average ~15), too slow for
  even a subset of the synthetic trusts; so this peer, like AutoETS, uses no temperature.

Models are refitted every 4 origins and rolled forward with `forward` in between: the same
schedule as our backtest (`refit=4`). All cores (`n_jobs=-1`), as a user would.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from bench.peers.common import LEVELS, from_nixtla, long_frame
from forecast.protocol import ModelInput

REFIT_EVERY = 4


def _cross_validate(model: Any, name: str, data: ModelInput, origins: Sequence[date],
                    horizon: int, with_temperature: bool) -> pl.DataFrame:
    from statsforecast import StatsForecast

    frame = long_frame(data, with_temperature=with_temperature)
    engine = StatsForecast(models=[model], freq="D", n_jobs=-1)
    cv = engine.cross_validation(h=horizon, df=frame, n_windows=len(origins), step_size=7,
                                 level=LEVELS, refit=REFIT_EVERY)
    return from_nixtla(cv, name, origins, horizon)


def run_snaive(data: ModelInput, origins: Sequence[date], horizon: int) -> pl.DataFrame:
    from statsforecast.models import SeasonalNaive

    return _cross_validate(SeasonalNaive(season_length=7), "SeasonalNaive", data, origins,
                           horizon, with_temperature=False)


def run_autoets(data: ModelInput, origins: Sequence[date], horizon: int) -> pl.DataFrame:
    from statsforecast.models import AutoETS

    return _cross_validate(AutoETS(season_length=7), "AutoETS", data, origins, horizon,
                           with_temperature=False)


def run_mstl(data: ModelInput, origins: Sequence[date], horizon: int) -> pl.DataFrame:
    from statsforecast.models import MSTL

    model = MSTL(season_length=[7, 365])
    return _cross_validate(model, "MSTL", data, origins, horizon, with_temperature=False)
