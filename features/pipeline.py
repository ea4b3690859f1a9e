"""The one feature pipeline used by training, the nightly batch, the API and the backtest.

A row is (trust, origin, target date): history features are read at the origin, calendar and
temperature at the target date. `base` = the trust's deseasonalised level at the origin times its
weekday profile for the target's weekday; models learn multiplicative corrections to it, which
is what lets one global model serve trusts of 50 and of 600 attendances a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from contract.errors import ModelError
from features.calendar import CALENDAR_COLUMNS, DEFAULT_NATION, calendar_frame
from features.config import DEFAULT_FEATURES, FeatureConfig
from features.history import PROFILE_COLUMNS, daily_grid, history_frame
from features.temperature import TEMPERATURE_COLUMNS, temperature_frame

# Beyond two years, more history says nothing more about how settled a trust's pattern is.
HISTORY_DAYS_CAP = 730
TARGET_CALENDAR = [c for c in CALENDAR_COLUMNS if c != "special_day"]
IntMatrix = np.ndarray[Any, np.dtype[np.integer[Any]]]


@dataclass(frozen=True)
class PreparedHistory:
    """History, calendar and temperature for every trust up to `end`, ready to slice into rows."""

    end: date
    history: pl.DataFrame        # trust_code, date, y, levels, profile, ...
    national: pl.DataFrame       # date, national momentum and yearly ratios
    exogenous: pl.DataFrame      # trust_code, date, calendar + temperature (runs past `end`)
    config: FeatureConfig


def feature_names(config: FeatureConfig = DEFAULT_FEATURES) -> list[str]:
    """Model inputs in a fixed order."""
    return [
        "horizon", *TARGET_CALENDAR, *TEMPERATURE_COLUMNS,
        "profile_target", "log_level", "observed_w28", "history_days", "days_since_actual",
        *config.momentum_names(), *[f"national_{m}" for m in config.momentum_names()],
        "yearly_ratio", "national_yearly_ratio", "temperature_vs_recent", "admissions_share_w28",
    ]


def prepare(
    attendances: pl.DataFrame,
    temperature: pl.DataFrame | None,
    end: date,
    max_horizon: int,
    nations: dict[str, str] | None = None,
    config: FeatureConfig = DEFAULT_FEATURES,
) -> PreparedHistory:
    """Everything the rows need, from actuals dated <= `end` only."""
    actuals = attendances.filter(pl.col("date") <= end)
    start = actuals["date"].min()
    if not isinstance(start, date):  # a foreseeable condition, said in words, not a traceback
        raise ModelError(f"no actuals on or before {end} to build features from: ingest data "
                         "for that period, or forecast from a later date")
    trusts = sorted(actuals["trust_code"].unique().to_list())
    horizon_end = end + timedelta(days=max_horizon)
    exogenous = _exogenous(trusts, start, horizon_end, temperature, nations or {}, config)
    grid = daily_grid(actuals, end).join(
        exogenous.select("trust_code", "date", "dow", "special_day"),
        on=["trust_code", "date"], how="left",
    )
    history = history_frame(grid, config).with_columns(
        last_actual=pl.when(pl.col("y").is_not_null()).then(pl.col("date"))
        .forward_fill().over("trust_code"),
    )
    national = national_from_sums(national_sums(history, config), config)
    return PreparedHistory(end, history, national, exogenous, config)


def training_targets(prepared: PreparedHistory, first_target: date) -> pl.DataFrame:
    """Observed target days since `first_target`, in (trust, date) order."""
    return prepared.history.filter(
        (pl.col("date") >= first_target) & pl.col("y").is_not_null()
    ).select("trust_code", "date", "y")


def horizon_draws(seed: int, per_target: int, targets: int, max_horizon: int) -> IntMatrix:
    """The random horizons of `training_rows`: column j holds the j-th target's `per_target`.

    Targets come in (trust, date) order, so contiguous trust partitions hold contiguous
    columns: a partition given its slice of these columns gets the rows one machine draws.
    """
    rng = np.random.default_rng(seed)
    return rng.integers(1, max_horizon + 1, size=(per_target, targets))


def training_rows(
    prepared: PreparedHistory,
    max_horizon: int,
    first_target: date,
    per_target: int | None = None,
    seed: int = 0,
    draws: IntMatrix | None = None,
) -> pl.DataFrame:
    """Observed target days since `first_target`, each paired with `per_target` random horizons.

    `per_target=None` pairs every target with every horizon 1..max_horizon (for calibration).
    `draws` (per_target x targets) replaces the horizons drawn from `seed`.
    """
    targets = training_targets(prepared, first_target)
    if per_target is None:
        steps = pl.DataFrame({"horizon": range(1, max_horizon + 1)}, schema={"horizon": pl.Int32})
        rows = targets.join(steps, how="cross")
    else:
        if draws is None:
            draws = horizon_draws(seed, per_target, targets.height, max_horizon)
        assert draws.shape == (per_target, targets.height), (draws.shape, targets.height)
        rows = pl.concat([targets] * per_target).with_columns(
            horizon=pl.Series(draws.reshape(-1), dtype=pl.Int32))
    rows = rows.with_columns(origin=pl.col("date") - pl.duration(days=pl.col("horizon")))
    return _assemble(rows, prepared).sort("trust_code", "date", "horizon")


def prediction_rows(prepared: PreparedHistory, horizon: int) -> pl.DataFrame:
    """Rows for origin = prepared.end and every horizon 1..`horizon`, for trusts with a level."""
    trusts = prepared.history.filter(pl.col("date") == prepared.end).select("trust_code")
    steps = pl.DataFrame({"horizon": list(range(1, horizon + 1))}, schema={"horizon": pl.Int32})
    rows = trusts.join(steps, how="cross").with_columns(
        origin=pl.lit(prepared.end),
        date=pl.lit(prepared.end) + pl.duration(days=pl.col("horizon")),
        y=pl.lit(None, dtype=pl.Float64),
    )
    return _assemble(rows, prepared).sort("trust_code", "date")


def _assemble(rows: pl.DataFrame, prepared: PreparedHistory) -> pl.DataFrame:
    """Join origin-state, target-day and yearly features onto (trust, origin, date) rows."""
    cfg = prepared.config
    base = cfg.base_level
    state = prepared.history.select(
        "trust_code", pl.col("date").alias("origin"), base, *PROFILE_COLUMNS,
        *[cfg.level_name(w) for w in cfg.level_windows if w != cfg.base_window],
        "observed_w28", "history_days", "last_actual", "admissions_share_w28",
    )
    year = timedelta(days=cfg.yearly_lag)
    last_year = prepared.history.select("trust_code", "date", "centred_week", base)
    out = (
        rows.with_columns(ly_date=pl.col("date") - year, ly_origin_date=pl.col("origin") - year)
        .join(state, on=["trust_code", "origin"], how="inner")
        .filter(pl.col(base).is_not_null() & (pl.col(base) > 0))
        .join(prepared.exogenous, on=["trust_code", "date"], how="left")
        .join(prepared.national.rename({"date": "origin"}), on="origin", how="left")
        .join(
            last_year.select("trust_code", pl.col("date").alias("ly_date"),
                             pl.col("centred_week").alias("ly_target")),
            on=["trust_code", "ly_date"], how="left",
        )
        .join(
            last_year.select("trust_code", pl.col("date").alias("ly_origin_date"),
                             pl.col(base).alias("ly_origin")),
            on=["trust_code", "ly_origin_date"], how="left",
        )
        .join(
            prepared.national.select(pl.col("date").alias("ly_date"),
                                     pl.col("national_ly_week").alias("nat_target_ly")),
            on="ly_date", how="left",
        )
        .join(
            prepared.national.select(pl.col("date").alias("ly_origin_date"),
                                     pl.col("national_ly_level").alias("nat_origin_ly")),
            on="ly_origin_date", how="left",
        )
        .join(
            prepared.exogenous.select(
                "trust_code", pl.col("date").alias("origin"),
                pl.col("temperature_mean_3d").alias("origin_temperature"),
            ),
            on=["trust_code", "origin"], how="left",
        )
    )
    profile_target = pl.concat_list(PROFILE_COLUMNS).list.get(pl.col("dow").cast(pl.Int64))
    momentum = [
        (pl.col(cfg.level_name(w)) / pl.col(base)).alias(name)
        for w, name in zip(
            [w for w in cfg.level_windows if w != cfg.base_window], cfg.momentum_names(),
            strict=True,
        )
    ]
    return out.with_columns(
        *momentum,
        profile_target=profile_target,
        log_level=pl.col(base).log(),
        days_since_actual=(pl.col("origin") - pl.col("last_actual")).dt.total_days()
        .cast(pl.Int32),
        yearly_ratio=(pl.col("ly_target") / pl.col("ly_origin")).clip(0.5, 2.0),
        national_yearly_ratio=(pl.col("nat_target_ly") / pl.col("nat_origin_ly")).clip(
            0.5, 2.0),
        temperature_vs_recent=pl.col("temperature_c") - pl.col("origin_temperature"),
        history_days=pl.col("history_days").clip(upper_bound=HISTORY_DAYS_CAP),
    ).with_columns(
        base=pl.col(base) * pl.col("profile_target"),
    ).select(
        "trust_code", "origin", "date", "y", "base", *feature_names(cfg),
    )


def _exogenous(
    trusts: list[str], start: date, end: date, temperature: pl.DataFrame | None,
    nations: dict[str, str], config: FeatureConfig,
) -> pl.DataFrame:
    """Calendar (by each trust's nation) and temperature per trust-day, start..end."""
    by_nation: dict[str, list[str]] = {}
    for trust in trusts:
        by_nation.setdefault(nations.get(trust, DEFAULT_NATION), []).append(trust)
    calendars = [
        pl.DataFrame({"trust_code": codes}).join(calendar_frame(start, end, nation), how="cross")
        for nation, codes in by_nation.items()
    ]
    weather = temperature_frame(temperature, trusts, start, end, config)
    return pl.concat(calendars).join(weather, on=["trust_code", "date"], how="left")


def national_sums(history: pl.DataFrame, config: FeatureConfig) -> pl.DataFrame:
    """Per-date sums of levels over the trusts whose every level is known.

    The one cross-trust dependency of the pipeline. Sums add up, so each partition of trusts can
    compute its own and `national_from_sums` combines them (how `forecast.scaleout` prepares
    features on Dask workers: reduce the partial sums, broadcast the national frame back).
    """
    levels = [config.level_name(w) for w in config.level_windows]
    return history.drop_nulls(levels).group_by("date").agg(
        *[pl.col(c).sum() for c in levels],
        national_ly_week=pl.col("centred_week").sum(),
        national_ly_level=pl.col(config.base_level).sum(),
    )


def national_from_sums(sums: pl.DataFrame, config: FeatureConfig) -> pl.DataFrame:
    """What the whole population of trusts did recently: pooled momentum and yearly ratios,
    from one or more (concatenated) `national_sums` frames."""
    levels = [config.level_name(w) for w in config.level_windows]
    totals = sums.group_by("date").agg(
        *[pl.col(c).sum() for c in [*levels, "national_ly_week", "national_ly_level"]])
    others = [w for w in config.level_windows if w != config.base_window]
    return totals.select(
        "date",
        *[(pl.col(config.level_name(w)) / pl.col(config.base_level)).alias(f"national_{m}")
          for w, m in zip(others, config.momentum_names(), strict=True)],
        "national_ly_week", "national_ly_level",
    ).sort("date")
