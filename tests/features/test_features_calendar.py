from datetime import date

import polars as pl

from features.calendar import HOLIDAY_KINDS, calendar_frame


def _day(frame: pl.DataFrame, day: date) -> dict[str, object]:
    return frame.filter(pl.col("date") == day).row(0, named=True)


def test_weekday_is_monday_zero() -> None:
    frame = calendar_frame(date(2024, 1, 1), date(2024, 1, 7))
    assert frame["dow"].to_list() == [0, 1, 2, 3, 4, 5, 6]


def test_christmas_fortnight_has_its_own_index() -> None:
    frame = calendar_frame(date(2024, 12, 1), date(2025, 1, 31))
    assert _day(frame, date(2024, 12, 25))["holiday_kind"] == HOLIDAY_KINDS["christmas"]
    assert _day(frame, date(2024, 12, 26))["holiday_kind"] == HOLIDAY_KINDS["boxing"]
    indexed = frame.filter(pl.col("xmas_index") >= 0)["date"].to_list()
    assert indexed[0] == date(2024, 12, 20) and indexed[-1] == date(2025, 1, 3)
    assert len(set(frame.filter(pl.col("xmas_index") >= 0)["xmas_index"].to_list())) == 15


def test_day_after_a_bank_holiday_is_flagged_and_special() -> None:
    frame = calendar_frame(date(2024, 8, 1), date(2024, 8, 31))
    summer = _day(frame, date(2024, 8, 26))
    after = _day(frame, date(2024, 8, 27))
    assert summer["holiday_kind"] == HOLIDAY_KINDS["summer"] and summer["special_day"] == 1
    assert after["after_holiday"] == 1 and after["special_day"] == 1
    assert _day(frame, date(2024, 8, 20))["special_day"] == 0


def test_holidays_follow_the_trusts_nation() -> None:
    england = calendar_frame(date(2024, 8, 1), date(2024, 8, 31), "England")
    scotland = calendar_frame(date(2024, 8, 1), date(2024, 8, 31), "Scotland")
    assert _day(england, date(2024, 8, 26))["is_holiday"] == 1
    assert _day(scotland, date(2024, 8, 26))["is_holiday"] == 0
    assert _day(scotland, date(2024, 8, 5))["is_holiday"] == 1
    wales_2nd_jan = calendar_frame(date(2024, 1, 1), date(2024, 1, 3), "Scotland")
    assert _day(wales_2nd_jan, date(2024, 1, 2))["holiday_kind"] == HOLIDAY_KINDS["new_year_2"]
