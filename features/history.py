"""History features per trust and day, each computed only from actuals up to that day.

Every column of the frame returned by `history_frame` at date `d` depends on actuals dated
`<= d` only (apart from `centred_week`, which is only ever read a year back). The pipeline reads
the row at a forecast's origin, so a forecast for origin+h never sees an actual after the origin.

Special days (bank holidays, the day after, the Christmas fortnight) and missing days are left
out of levels and weekday profiles: they would bias the "normal day" level the model scales by.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from features.config import FeatureConfig

PROFILE_COLUMNS = [f"profile_dow{d}" for d in range(7)]


def daily_grid(attendances: pl.DataFrame, end: date) -> pl.DataFrame:
    """Every trust-day from each trust's first actual to `end`; missing days have null y."""
    spans = attendances.group_by("trust_code").agg(pl.col("date").min().alias("first"))
    grid = (
        spans.with_columns(date=pl.date_ranges("first", pl.lit(end), interval="1d"))
        .explode("date")
        .select("trust_code", "date", "first")
    )
    admissions = (
        pl.col("admissions").cast(pl.Float64) if "admissions" in attendances.columns
        else pl.lit(None, dtype=pl.Float64)
    )
    actuals = attendances.select(
        "trust_code", "date", pl.col("attendances").cast(pl.Float64).alias("y"),
        admissions.alias("admissions"),
    )
    return grid.join(actuals, on=["trust_code", "date"], how="left").sort("trust_code", "date")


def history_frame(grid: pl.DataFrame, config: FeatureConfig) -> pl.DataFrame:
    """Add weekday profile, deseasonalised levels and counts to a grid joined with the calendar.

    `grid` needs trust_code, date, first, y, admissions (may be all null), dow, special_day.
    """
    normal = pl.when(pl.col("special_day") == 0).then(pl.col("y"))
    frame = grid.with_columns(y_norm=normal).with_columns(
        week_mean=pl.col("y_norm").rolling_mean(7, min_samples=5).over("trust_code"),
    ).with_columns(ratio=pl.col("y_norm") / pl.col("week_mean"))
    frame = _with_profile(frame, config)
    profile_today = pl.concat_list(PROFILE_COLUMNS).list.get(pl.col("dow").cast(pl.Int64))
    frame = frame.with_columns(adjusted=pl.col("y_norm") / profile_today)
    levels = [
        pl.col("adjusted").rolling_mean(w, min_samples=max(2, w // 4)).over("trust_code")
        .alias(config.level_name(w))
        for w in config.level_windows
    ]
    return frame.with_columns(
        *levels,
        observed_w28=pl.col("y").is_not_null().cast(pl.Int32).rolling_sum(28, min_samples=1)
        .over("trust_code"),
        history_days=(pl.col("date") - pl.col("first")).dt.total_days().cast(pl.Int32),
        # Optional input: the share admitted is a crude acuity signal (null without admissions).
        admissions_share_w28=(
            pl.when(pl.col("admissions").is_not_null()).then(pl.col("admissions"))
            .rolling_sum(28, min_samples=7).over("trust_code")
            / pl.when(pl.col("admissions").is_not_null()).then(pl.col("y"))
            .rolling_sum(28, min_samples=7).over("trust_code")
        ),
        centred_week=pl.col("adjusted").rolling_mean(7, min_samples=3, center=True)
        .over("trust_code"),
    )


def _with_profile(frame: pl.DataFrame, config: FeatureConfig) -> pl.DataFrame:
    """Per-trust weekday profile (mean 1) as known on each day: EWM of same-weekday ratios."""
    ewm = (
        pl.col("ratio")
        .ewm_mean(half_life=config.profile_half_life_weeks, ignore_nulls=True, min_samples=1)
        .over("trust_code", "dow")
    )
    frame = frame.with_columns(profile_today=pl.when(pl.col("ratio").is_not_null()).then(ewm))
    wide = [
        pl.when(pl.col("dow") == d).then(pl.col("profile_today")).forward_fill()
        .over("trust_code").alias(f"raw_dow{d}")
        for d in range(7)
    ]
    frame = frame.with_columns(wide)
    raw = [f"raw_dow{d}" for d in range(7)]
    # Until a weekday has been seen, assume a flat profile for it.
    frame = frame.with_columns(pl.col(raw).fill_null(1.0))
    total = pl.sum_horizontal(raw) / 7.0
    return frame.with_columns(
        [(pl.col(f"raw_dow{d}") / total).alias(f"profile_dow{d}") for d in range(7)]
    ).drop(raw, "profile_today")
