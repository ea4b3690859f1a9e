"""The optional hourly input: UTC hour starts in any honest spelling; everything else refused
with file, line, column and value."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from support.paths import HOURLY_SAMPLE

from contract.errors import DataValidationError
from contract.inputs import ARRIVALS_HOURLY_SCHEMA, read_arrivals_hourly

AS_OF = date(2024, 6, 30)
HEADER = "trust_code,hour_start_utc,arrivals\n"
SAMPLE = HOURLY_SAMPLE


def write(tmp_path: Path, text: str, name: str = "hourly.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_utc_hours_in_every_accepted_spelling_become_one_typed_sorted_frame(
    tmp_path: Path,
) -> None:
    rows = (
        "RXX,2024-03-31T01:00:00Z,7\n"
        "RXX,2024-03-31T00:00:00+00:00,5\n"
        "RXX,2024-03-31 02:00,6\n"  # no offset: read as UTC, the column says so
        "RXX,2024-03-31T04:00:00+01:00,9\n"  # an offset is converted: 03:00 UTC
        "R1H,2024-03-31T00:00:00Z,2\n"
    )
    frame = read_arrivals_hourly(write(tmp_path, HEADER + rows), as_of=AS_OF)
    assert frame.schema == pl.Schema(ARRIVALS_HOURLY_SCHEMA)
    hours = [datetime(2024, 3, 31, h, tzinfo=UTC) for h in range(4)]
    assert frame.rows() == [
        ("R1H", hours[0], 2),
        ("RXX", hours[0], 5),
        ("RXX", hours[1], 7),
        ("RXX", hours[2], 6),
        ("RXX", hours[3], 9),
    ]


def test_parquet_datetimes_naive_or_zoned_are_read_as_utc(tmp_path: Path) -> None:
    zoned = pl.datetime_range(
        datetime(2024, 7, 1, 0), datetime(2024, 7, 1, 2), "1h", time_zone="Europe/London",
        eager=True,
    )
    pl.DataFrame({"trust_code": ["RXX"] * 3, "hour_start_utc": zoned, "arrivals": [1, 2, 3]}) \
        .write_parquet(tmp_path / "h.parquet")
    frame = read_arrivals_hourly(tmp_path / "h.parquet", as_of=date(2024, 7, 1))
    assert frame["hour_start_utc"].to_list()[0] == datetime(2024, 6, 30, 23, tzinfo=UTC)


def test_the_real_cardiff_sample_is_valid() -> None:
    frame = read_arrivals_hourly(SAMPLE, as_of=date(2019, 3, 1))
    assert frame.height == 2352 and frame["trust_code"].unique().to_list() == ["UKH2"]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("RXX,2024-01-01T08:30:00Z,3", "hour_start_utc", "is not the start of an hour"),
        ("RXX,2024-01-01,3", "hour_start_utc", "is not a time written YYYY-MM-DDTHH:00:00Z"),
        ("RXX,01/01/2024 08:00,3", "hour_start_utc", "is not a time written"),
        ("RXX,2024-02-30T08:00:00Z,3", "hour_start_utc", "is not a real time"),
        ("RXX,2024-07-01T08:00:00Z,3", "hour_start_utc", "is after the as-of date 2024-06-30"),
        ("RXX,,3", "hour_start_utc", "missing hour"),
        ("RXX,2024-01-01T08:00:00Z,-1", "arrivals", "is negative"),
        ("RXX,2024-01-01T08:00:00Z,2.5", "arrivals", "is not a whole number"),
        ("rxx,2024-01-01T08:00:00Z,3", "trust_code", "is not a trust code"),
        ("RXX,2024-01-01T07:00:00Z,3", "hour_start_utc", "duplicate: trust RXX at this hour"),
    ],
)
def test_a_bad_cell_is_refused_naming_line_column_and_value(
    tmp_path: Path, row: str, column: str, message: str
) -> None:
    path = write(tmp_path, HEADER + "RXX,2024-01-01T07:00:00Z,4\n" + row + "\n")
    with pytest.raises(DataValidationError, match=message) as caught:
        read_arrivals_hourly(path, as_of=AS_OF)
    (problem,) = caught.value.problems
    assert (problem.source, problem.row, problem.column) == (str(path), 3, column)
    assert f"{path}, line 3, column '{column}'" in str(caught.value)


def test_the_last_local_hour_of_the_as_of_day_is_allowed_and_the_next_is_not(
    tmp_path: Path,
) -> None:
    """British summer time: 30 June ends at 23:00 UTC."""
    ok = write(tmp_path, HEADER + "RXX,2024-06-30T22:00:00Z,3\n", "ok.csv")
    assert read_arrivals_hourly(ok, as_of=AS_OF).height == 1
    late = write(tmp_path, HEADER + "RXX,2024-06-30T23:00:00Z,3\n", "late.csv")
    with pytest.raises(DataValidationError, match="after the as-of date"):
        read_arrivals_hourly(late, as_of=AS_OF)


def test_a_missing_column_names_the_header_line(tmp_path: Path) -> None:
    path = write(tmp_path, "trust_code,hour,arrivals\nRXX,2024-01-01T07:00:00Z,4\n")
    with pytest.raises(DataValidationError, match="missing required column 'hour_start_utc'"):
        read_arrivals_hourly(path, as_of=AS_OF)
