"""The data contract on payloads and in-memory frames: the same rules as files, other places."""

from __future__ import annotations

import logging
from datetime import date

import polars as pl
import pytest

from contract.errors import DataValidationError
from contract.inputs import (
    ATTENDANCES_SCHEMA,
    TEMPERATURE_SCHEMA,
    validate_attendance_records,
    validate_attendances,
    validate_temperature,
    validate_temperature_records,
)

AS_OF = date(2024, 6, 30)


def test_a_payload_becomes_a_frame_for_its_trust() -> None:
    frame = validate_attendance_records(
        "RXX",
        [
            {"date": "2024-01-02", "attendances": 120, "admissions": 30},
            {"date": "2024-01-01", "attendances": 110.0},
        ],
        as_of=AS_OF,
    )
    assert frame.schema == pl.Schema(ATTENDANCES_SCHEMA)
    assert frame.rows() == [
        ("RXX", date(2024, 1, 1), 110, None),
        ("RXX", date(2024, 1, 2), 120, 30),
    ]


@pytest.mark.parametrize(
    ("item", "column", "message"),
    [
        ({"date": "2024-01-03", "attendances": 3.5}, "attendances", "is not a whole number"),
        ({"date": "2024-01-03", "attendances": True}, "attendances", "is not a number"),
        ({"date": "2024-01-03", "attendances": -2}, "attendances", "is negative"),
        ({"date": "2024-01-03"}, "attendances", "missing count"),
        ({"date": "3 Jan 2024", "attendances": 2}, "date", "is not a date written"),
        ({"date": "2024-01-01", "attendances": 2}, "date", "duplicate.*already on index 0"),
        ({"date": "2024-07-01", "attendances": 2}, "date", "is after the as-of date"),
    ],
)
def test_a_bad_item_is_refused_by_index(item: dict[str, object], column: str, message: str) -> None:
    records = [{"date": "2024-01-01", "attendances": 1}, item]
    with pytest.raises(DataValidationError, match=rf"request body, index 1, column '{column}': "):
        validate_attendance_records("RXX", records, as_of=AS_OF)
    with pytest.raises(DataValidationError, match=message):
        validate_attendance_records("RXX", records, as_of=AS_OF)


def test_an_empty_list_or_a_non_object_is_refused() -> None:
    with pytest.raises(DataValidationError, match="is an empty list"):
        validate_attendance_records("RXX", [])
    with pytest.raises(DataValidationError, match="index 1: each item must be an object"):
        validate_attendance_records("RXX", [{"date": "2024-01-01", "attendances": 1}, 7])


def test_extra_fields_are_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        frame = validate_attendance_records(
            "RXX", [{"date": "2024-01-01", "attendances": 1, "note": "x"}], as_of=AS_OF
        )
    assert frame.height == 1
    assert "ignoring extra fields note" in caplog.text


def test_a_bad_trust_code_in_the_path_is_refused() -> None:
    with pytest.raises(DataValidationError, match="column 'trust_code': is not a trust code"):
        validate_attendance_records("rxx", [{"date": "2024-01-01", "attendances": 1}])


def test_temperature_payloads_follow_the_temperature_rules() -> None:
    frame = validate_temperature_records("RXX", [{"date": "2999-01-01", "temperature_c": -3}])
    assert frame.schema == pl.Schema(TEMPERATURE_SCHEMA)
    assert frame.rows() == [("RXX", date(2999, 1, 1), -3.0)]
    with pytest.raises(DataValidationError, match="index 0, column 'temperature_c': is outside"):
        validate_temperature_records("RXX", [{"date": "2024-01-01", "temperature_c": 99}])


def test_in_memory_frames_count_rows_from_one() -> None:
    frame = pl.DataFrame(
        {"trust_code": ["RXX", "RXX"], "date": [date(2024, 1, 1)] * 2, "attendances": [1, 2]}
    )
    with pytest.raises(DataValidationError, match="synthetic, row 2, column 'date': duplicate"):
        validate_attendances(frame, source="synthetic", as_of=AS_OF)
    clean = validate_temperature(
        pl.DataFrame({"trust_code": ["RXX"], "date": [date(2024, 1, 1)], "temperature_c": [4]})
    )
    assert clean.schema == pl.Schema(TEMPERATURE_SCHEMA)
