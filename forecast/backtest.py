"""Rolling-origin backtesting: a split generator and one loop over it.

No leakage by construction: at every origin a model's `fit` and `predict` receive
`data.up_to(origin)` and nothing else; actuals are joined to the forecasts only afterwards.
Refits are expensive (statsmodels), so a model is fitted at the first origin and every
`refit_every` origins after it; in between, `predict` updates its state from the newer history.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from contract.errors import InputError, ModelError
from forecast.protocol import FORECAST_COLUMNS, FORECAST_SCHEMA, Forecaster, ModelInput, ModelName

BACKTEST_COLUMNS: list[str] = ["model", *FORECAST_COLUMNS, "actual"]


@dataclass(frozen=True)
class Split:
    """One origin of the backtest: the history a model may see there, and whether to refit."""

    index: int
    origin: date
    refit: bool
    history: ModelInput


@dataclass
class ModelTiming:
    fit_s: float = 0.0
    predict_s: float = 0.0
    n_fits: int = 0


@dataclass(frozen=True)
class BacktestStep:
    """Progress after one model finished one origin."""

    model: ModelName
    origin: date
    done: int
    total: int


@dataclass(frozen=True)
class BacktestResult:
    forecasts: pl.DataFrame  # BACKTEST_COLUMNS
    timings: dict[ModelName, ModelTiming]


ProgressFn = Callable[[BacktestStep], None]


def backtest_origins(last_date: date, horizon: int, n_origins: int, step: int) -> list[date]:
    """The last `n_origins` dates `step` days apart, ending `horizon` days before `last_date`."""
    for name, value in {"horizon": horizon, "origins": n_origins, "step": step}.items():
        if value < 1:
            raise InputError(f"--{name} must be at least 1, got {value}")
    final = last_date - timedelta(days=horizon)
    return [final - timedelta(days=step * k) for k in reversed(range(n_origins))]


def backtest_splits(data: ModelInput, origins: Sequence[date], refit_every: int = 4
                    ) -> Iterator[Split]:
    """Yield one split per origin, in time order; refit at the first and every `refit_every`."""
    if refit_every < 1:
        raise InputError(f"--refit-every must be at least 1, got {refit_every}")
    for i, origin in enumerate(sorted(origins)):
        yield Split(i, origin, i % refit_every == 0, data.up_to(origin))


def run_backtest(data: ModelInput, models: Mapping[ModelName, Forecaster], horizon: int,
                 origins: Sequence[date], refit_every: int = 4,
                 progress: ProgressFn | None = None) -> BacktestResult:
    """Forecast every origin with every model; join the actuals (null where a day is missing)."""
    if not origins:
        raise InputError("a backtest needs at least one origin")
    total = len(models) * len(origins)
    frames: list[pl.DataFrame] = []
    timings: dict[ModelName, ModelTiming] = {}
    done = 0
    for name, model in models.items():
        timing = timings.setdefault(name, ModelTiming())
        for split in backtest_splits(data, origins, refit_every):
            if split.refit:
                start = time.perf_counter()
                model.fit(split.history)
                timing.fit_s += time.perf_counter() - start
                timing.n_fits += 1
            start = time.perf_counter()
            forecast = model.predict(split.history, split.origin, horizon)
            timing.predict_s += time.perf_counter() - start
            frames.append(_checked(forecast, name, split.origin, horizon))
            done += 1
            if progress is not None:
                progress(BacktestStep(name, split.origin, done, total))
    forecasts = pl.concat(frames) if frames else _empty_backtest()
    return BacktestResult(attach_actuals(forecasts, data.attendances), timings)


def attach_actuals(forecasts: pl.DataFrame, attendances: pl.DataFrame) -> pl.DataFrame:
    """Left-join the observed attendances as `actual`; a missing day stays null, never zero."""
    actual = attendances.select(
        "trust_code", "date", pl.col("attendances").cast(pl.Int64).alias("actual"),
    )
    joined = forecasts.join(actual, on=["trust_code", "date"], how="left")
    return joined.select(BACKTEST_COLUMNS).sort("model", "origin", "trust_code", "horizon")


def _checked(forecast: pl.DataFrame, name: ModelName, origin: date, horizon: int
             ) -> pl.DataFrame:
    """The model's rows for this origin, with the model's name; refuse a broken forecast."""
    missing = [c for c in FORECAST_COLUMNS if c not in forecast.columns]
    if missing:
        raise ModelError(f"model {name!r} returned a forecast without columns {missing}")
    frame = forecast.select(FORECAST_COLUMNS).cast(FORECAST_SCHEMA)  # type: ignore[arg-type]
    bad = frame.filter(
        (pl.col("origin") != origin)
        | (pl.col("date") != pl.col("origin") + pl.duration(days=pl.col("horizon")))
        | ~pl.col("horizon").is_between(1, horizon)
        | ~((pl.col("lo95") <= pl.col("lo80")) & (pl.col("lo80") <= pl.col("point"))
            & (pl.col("point") <= pl.col("hi80")) & (pl.col("hi80") <= pl.col("hi95")))
    )
    if bad.height:
        raise ModelError(f"model {name!r} at origin {origin}: {bad.height} rows with a wrong "
                         f"origin, date, horizon or unordered interval, e.g. {bad.row(0)}")
    if frame.select(pl.struct("trust_code", "horizon").is_duplicated().any()).item():
        raise ModelError(f"model {name!r} at origin {origin}: duplicate (trust, horizon) rows")
    return frame.with_columns(pl.lit(name, dtype=pl.String).alias("model"))


def _empty_backtest() -> pl.DataFrame:
    return pl.DataFrame(schema={"model": pl.String(), **FORECAST_SCHEMA})
