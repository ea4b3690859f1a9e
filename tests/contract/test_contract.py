"""The data contract on files: every rule refused with file, line (or row), column and value."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from contract.errors import DataValidationError
from contract.inputs import (
    ATTENDANCES_SCHEMA,
    MAX_PROBLEMS,
    TEMPERATURE_SCHEMA,
    read_attendances,
    read_temperature,
)

AS_OF = date(2024, 6, 30)
HEADER = "trust_code,date,attendances,admissions\n"


def write(tmp_path: Path, text: str | bytes, name: str = "attendances.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def good_rows() -> str:
    return "RXX,2024-01-02,120,30\nRXX,2024-01-01,110,\nR1H,2024-01-01,95,20\n"


def test_a_valid_csv_becomes_a_typed_sorted_frame(tmp_path: Path) -> None:
    frame = read_attendances(write(tmp_path, HEADER + good_rows()), as_of=AS_OF)
    assert frame.schema == pl.Schema(ATTENDANCES_SCHEMA)
    assert frame.rows() == [
        ("R1H", date(2024, 1, 1), 95, 20),
        ("RXX", date(2024, 1, 1), 110, None),
        ("RXX", date(2024, 1, 2), 120, 30),
    ]


def test_without_an_admissions_column_admissions_are_null(tmp_path: Path) -> None:
    path = write(tmp_path, "date,attendances,trust_code\n2024-01-01,5,RXX\n")
    frame = read_attendances(path, as_of=AS_OF)
    assert frame.schema == pl.Schema(ATTENDANCES_SCHEMA)
    assert frame["admissions"].to_list() == [None]


def test_counts_written_as_text_or_whole_floats_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + 'RXX,2024-01-01," 12 ",3.0\nRXX, 2024-01-02 ,7,\n')
    frame = read_attendances(path, as_of=AS_OF)
    assert frame["attendances"].to_list() == [12, 7]
    assert frame["admissions"].to_list() == [3, None]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("RXX,2024-01-03,-4,", "attendances", "is negative"),
        ("RXX,2024-01-03,3.5,", "attendances", "is not a whole number"),
        ("RXX,2024-01-03,many,", "attendances", "is not a number"),
        ("RXX,2024-01-03,,", "attendances", "missing count"),
        ("RXX,2024-01-03,5,-1", "admissions", "is negative"),
        ("RXX,2024-01-03,5,2.5", "admissions", "is not a whole number"),
        ("RXX,03/01/2024,5,", "date", "is not a date written YYYY-MM-DD"),
        ("RXX,2024-02-30,5,", "date", "is not a real calendar date"),
        ("RXX,2024-07-01,5,", "date", "is after the as-of date 2024-06-30"),
        ("RXX,,5,", "date", "missing date"),
        ("rxx,2024-01-03,5,", "trust_code", "is not a trust code"),
        ("RXXXXX,2024-01-03,5,", "trust_code", "is not a trust code"),
        ("R-1,2024-01-03,5,", "trust_code", "is not a trust code"),
        (",2024-01-03,5,", "trust_code", "missing trust code"),
        ("RXX,2024-01-01,5,", "date", "duplicate: trust RXX .* already on line 3"),
    ],
)
def test_a_bad_cell_is_refused_naming_line_and_column(
    tmp_path: Path, row: str, column: str, message: str
) -> None:
    path = write(tmp_path, HEADER + "RXX,2024-01-02,120,30\nRXX,2024-01-01,110,\n" + row + "\n")
    with pytest.raises(DataValidationError, match=rf"line 4, column '{column}': {message}") as err:
        read_attendances(path, as_of=AS_OF)
    assert len(err.value.problems) == 1
    assert str(path) in str(err.value)


def test_the_offending_value_and_every_problem_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "RXX,2024-01-01,-4,\nRXX,2024-01-02,2.5,\n")
    with pytest.raises(DataValidationError) as err:
        read_attendances(path, as_of=AS_OF)
    assert [(p.row, p.column, p.value) for p in err.value.problems] == [
        (2, "attendances", "-4"),
        (3, "attendances", "2.5"),
    ]
    assert "(got '-4')" in str(err.value)


def test_problems_are_capped_with_a_count_of_the_rest(tmp_path: Path) -> None:
    rows = "".join(f"RXX,2024-01-{day:02d},-1,\n" for day in range(1, 31)) * 3
    with pytest.raises(DataValidationError, match="and 130 more") as err:
        read_attendances(write(tmp_path, HEADER + rows), as_of=AS_OF)  # 90 negative, 60 repeats
    assert len(err.value.problems) == MAX_PROBLEMS + 1
    assert err.value.total == 150
    assert err.value.problems[-1].message == "100 more problems not listed; fix these first"


def test_the_as_of_date_defaults_to_today(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "RXX,2999-01-01,5,\n")
    with pytest.raises(DataValidationError, match="line 2, column 'date': is after the as-of"):
        read_attendances(path)


def test_a_missing_column_is_named_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "trust_code,Date,attendances\nRXX,2024-01-01,5\n")
    with pytest.raises(
        DataValidationError, match=r"column 'date': missing required .*found 'Date'"
    ):
        read_attendances(path, as_of=AS_OF)


def test_extra_columns_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, "trust_code,date,attendances,site\nRXX,2024-01-01,5,main\n")
    with caplog.at_level(logging.WARNING):
        frame = read_attendances(path, as_of=AS_OF)
    assert frame.columns == list(ATTENDANCES_SCHEMA)
    assert "ignoring extra columns site" in caplog.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\n \n", "is empty"),
        (HEADER.encode(), "has a header but no data rows"),
        (b"trust_code,date,attendances\nRXX,2024-01-01,5\nRXX,2024-01-02,5,9\n", "line 3: has 4"),
        (HEADER.encode() + "R\u00e9X,2024-01-01,5,\n".encode("latin-1"), "line 2: is not UTF-8"),
        (b"trust_code;date;attendances\nRXX;2024-01-01;5\n", "line 1: separates fields with semi"),
    ],
    ids=["empty", "blank", "header-only", "ragged", "latin-1", "semicolons"],
)
def test_unreadable_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        read_attendances(write(tmp_path, content), as_of=AS_OF)


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(tmp_path: Path) -> None:
    text = "\ufeff" + (HEADER + good_rows()).replace("\n", "\r\n")
    frame = read_attendances(write(tmp_path, text.encode("utf-8")), as_of=AS_OF)
    assert frame.height == 3
    assert frame["trust_code"].to_list() == ["R1H", "RXX", "RXX"]


def test_line_numbers_survive_blank_lines_and_quoted_line_breaks(tmp_path: Path) -> None:
    text = 'trust_code,date,attendances,note\nRXX,2024-01-01,5,"two\nlines"\n\nRXX,2024-01-02,-1,\n'
    with pytest.raises(DataValidationError, match="line 5, column 'attendances'"):
        read_attendances(write(tmp_path, text), as_of=AS_OF)


@pytest.mark.parametrize("name", ["data.xlsx", "data.txt", "data"])
def test_other_extensions_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(DataValidationError, match="give a .csv or .parquet file"):
        read_attendances(write(tmp_path, HEADER + good_rows(), name), as_of=AS_OF)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="file not found"):
        read_attendances(tmp_path / "nope.csv")


def test_temperature_is_typed_and_may_run_into_the_future(tmp_path: Path) -> None:
    text = "trust_code,date,temperature_c\nRXX,2999-01-01,-35\nRXX,2024-01-01,12.25\n"
    frame = read_temperature(write(tmp_path, text, "temperature.csv"))
    assert frame.schema == pl.Schema(TEMPERATURE_SCHEMA)
    assert frame["temperature_c"].to_list() == [12.25, -35.0]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("60.5", "is outside -60 to 60"),
        ("-61", "is outside -60 to 60"),
        ("NaN", "is not a finite number"),
        ("inf", "is not a finite number"),
        ("warm", "is not a number"),
        ("", "missing temperature"),
    ],
)
def test_a_bad_temperature_is_refused(tmp_path: Path, value: str, message: str) -> None:
    text = f"trust_code,date,temperature_c\nRXX,2024-01-01,5\nRXX,2024-01-02,{value}\n"
    with pytest.raises(DataValidationError, match=f"line 3, column 'temperature_c': {message}"):
        read_temperature(write(tmp_path, text, "temperature.csv"))


def test_parquet_rows_are_counted_from_one(tmp_path: Path) -> None:
    path = tmp_path / "attendances.parquet"
    pl.DataFrame(
        {
            "trust_code": ["RXX", "RXX"],
            "date": [date(2024, 1, 1), date(2024, 1, 2)],
            "attendances": [3, -1],
        }
    ).write_parquet(path)
    with pytest.raises(DataValidationError, match="row 2, column 'attendances': is negative"):
        read_attendances(path, as_of=AS_OF)


def test_parquet_with_text_dates_and_whole_float_counts_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "attendances.parquet"
    pl.DataFrame(
        {"trust_code": ["RXX"], "date": ["2024-01-01"], "attendances": [3.0], "admissions": [None]}
    ).write_parquet(path)
    frame = read_attendances(path, as_of=AS_OF)
    assert frame.rows() == [("RXX", date(2024, 1, 1), 3, None)]
    assert frame.schema == pl.Schema(ATTENDANCES_SCHEMA)


def test_parquet_with_the_wrong_column_types_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "attendances.parquet"
    pl.DataFrame(
        {"trust_code": [101], "date": [date(2024, 1, 1)], "attendances": [True]}
    ).write_parquet(path)
    with pytest.raises(DataValidationError) as err:
        read_attendances(path, as_of=AS_OF)
    assert [(p.column, p.row) for p in err.value.problems] == [
        ("trust_code", None),
        ("attendances", None),
    ]
    assert "column 'attendances': holds Boolean values" in str(err.value)


def test_truncated_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "attendances.parquet"
    pl.DataFrame(
        {"trust_code": ["RXX"], "date": [date(2024, 1, 1)], "attendances": [3]}
    ).write_parquet(path)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataValidationError, match="not a readable Parquet file"):
        read_attendances(path, as_of=AS_OF)
