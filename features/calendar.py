"""Calendar features: weekday, annual position, UK bank holidays by nation, Christmas–New Year.

Holidays come from the `holidays` package per nation, so Scottish and Welsh trusts get their own
bank holidays. Each holiday gets a *kind* (Christmas Day, Easter Monday, ...) so the model can
learn a multiplier per kind across all trusts, plus flags for the day after a holiday and an index
for each day of the Christmas–New Year fortnight.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays
import polars as pl

NATION_SUBDIV: dict[str, str] = {
    "England": "ENG",
    "Wales": "WLS",
    "Scotland": "SCT",
    "NorthernIreland": "NIR",
}
DEFAULT_NATION = "England"

# Holiday names from the `holidays` package mapped to a small, stable set of kinds.
HOLIDAY_KINDS: dict[str, int] = {
    "new_year": 1, "new_year_2": 2, "st_patrick": 3, "good_friday": 4, "easter_monday": 5,
    "may_day": 6, "spring": 7, "battle_boyne": 8, "summer": 9, "st_andrew": 10,
    "christmas": 11, "boxing": 12, "other": 13,
}
CALENDAR_COLUMNS = [
    "dow", "doy", "annual_sin1", "annual_cos1", "annual_sin2", "annual_cos2",
    "holiday_kind", "is_holiday", "after_holiday", "before_holiday", "xmas_index", "special_day",
]


def _kind(day: date, name: str) -> int:
    lowered = name.lower()
    if "new year" in lowered and (day.month, day.day) != (1, 1):
        return HOLIDAY_KINDS["new_year_2"]
    rules = [
        ("new year", "new_year"), ("patrick", "st_patrick"),
        ("good friday", "good_friday"), ("easter monday", "easter_monday"),
        ("may day", "may_day"), ("spring", "spring"), ("boyne", "battle_boyne"),
        ("summer", "summer"), ("andrew", "st_andrew"), ("christmas", "christmas"),
        ("boxing", "boxing"),
    ]
    for needle, kind in rules:
        if needle in lowered:
            return HOLIDAY_KINDS[kind]
    return HOLIDAY_KINDS["other"]


@lru_cache(maxsize=16)
def holiday_table(nation: str, first_year: int, last_year: int) -> pl.DataFrame:
    """date, holiday_kind for one nation's bank holidays (observed days included)."""
    subdiv = NATION_SUBDIV.get(nation, NATION_SUBDIV[DEFAULT_NATION])
    found = holidays.country_holidays("GB", subdiv=subdiv, years=range(first_year, last_year + 1))
    rows = sorted((day, _kind(day, name)) for day, name in found.items())
    return pl.DataFrame(
        {"date": [d for d, _ in rows], "holiday_kind": [k for _, k in rows]},
        schema={"date": pl.Date, "holiday_kind": pl.Int8},
    )


def calendar_frame(start: date, end: date, nation: str = DEFAULT_NATION) -> pl.DataFrame:
    """One row per day from start to end (inclusive) with CALENDAR_COLUMNS."""
    days = pl.DataFrame({"date": pl.date_range(start, end, interval="1d", eager=True)})
    table = holiday_table(nation, start.year - 1, end.year + 1)
    two_pi = 2.0 * 3.141592653589793
    doy = pl.col("date").dt.ordinal_day().cast(pl.Float64)
    frame = (
        days.join(table, on="date", how="left")
        .with_columns(pl.col("holiday_kind").fill_null(0))
        .with_columns(
            dow=(pl.col("date").dt.weekday() - 1).cast(pl.Int8),  # Monday = 0
            doy=pl.col("date").dt.ordinal_day().cast(pl.Int16),
            annual_sin1=(two_pi * doy / 365.25).sin(),
            annual_cos1=(two_pi * doy / 365.25).cos(),
            annual_sin2=(2 * two_pi * doy / 365.25).sin(),
            annual_cos2=(2 * two_pi * doy / 365.25).cos(),
            is_holiday=(pl.col("holiday_kind") > 0).cast(pl.Int8),
        )
        .with_columns(
            after_holiday=((pl.col("is_holiday").shift(1, fill_value=0) == 1)
                           & (pl.col("is_holiday") == 0)).cast(pl.Int8),
            before_holiday=((pl.col("is_holiday").shift(-1, fill_value=0) == 1)
                            & (pl.col("is_holiday") == 0)).cast(pl.Int8),
            xmas_index=_xmas_index(),
        )
        .with_columns(
            special_day=((pl.col("is_holiday") == 1) | (pl.col("after_holiday") == 1)
                         | (pl.col("xmas_index") >= 0)).cast(pl.Int8),
        )
    )
    return frame.select(["date", *CALENDAR_COLUMNS])


def _xmas_index() -> pl.Expr:
    """0 on 20 December .. 14 on 3 January; -1 outside the festive fortnight."""
    month, day = pl.col("date").dt.month(), pl.col("date").dt.day()
    return (
        pl.when((month == 12) & (day >= 20)).then(day - 20)
        .when((month == 1) & (day <= 3)).then(day + 11)
        .otherwise(-1)
        .cast(pl.Int8)
    )
