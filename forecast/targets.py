"""What a forecast is of: attendances (the default) or emergency admissions via A&E.

The engine forecasts one count column, `attendances`. For admissions the same engine runs on a
frame whose `attendances` column holds the admissions: the features, levels, weekly profiles,
intervals and fallbacks all carry over, and nothing about the models needs to know. Days without
an admissions count are missing days for that target, never zeros.
"""

from __future__ import annotations

from typing import Literal, TypeAlias, get_args

import polars as pl

Target: TypeAlias = Literal["attendances", "admissions"]
TARGETS: tuple[Target, ...] = get_args(Target)
DEFAULT_TARGET: Target = "attendances"


def parse_target(text: str) -> Target:
    for target in TARGETS:
        if text == target:
            return target
    raise ValueError(f"unknown target {text!r}; choose one of {', '.join(TARGETS)}")


def target_frame(attendances: pl.DataFrame, target: Target) -> pl.DataFrame:
    """The contract's attendances frame with `target` in the column the engine forecasts."""
    if target == "attendances":
        return attendances
    if "admissions" not in attendances.columns:
        return pl.DataFrame(schema={"trust_code": pl.String, "date": pl.Date,
                                    "attendances": pl.Int64})
    return (attendances.filter(pl.col("admissions").is_not_null())
            .select("trust_code", "date", pl.col("admissions").cast(pl.Int64)
                    .alias("attendances")))


def target_truth(truth: pl.DataFrame, target: Target) -> pl.DataFrame:
    """`aeforecast synth`'s truth with `expected`/`median` of `target`, for the oracle."""
    if target == "attendances":
        return truth
    missing = [c for c in ("expected_admissions", "admissions_median") if c not in truth.columns]
    if missing:
        raise ValueError(f"truth has no admissions oracle: missing column(s) {missing}")
    return truth.select("trust_code", "date", pl.col("expected_admissions").alias("expected"),
                        pl.col("admissions_median").alias("median"))
