"""The input data contract (docs/usage.md, Data files), enforced once, at the edge.

Files, data frames and API payloads all pass through the same column parsers, so a value
refused in a CSV file is refused in a POST body with the same words. What comes out is a clean
typed frame, sorted by trust and date, that the rest of the code trusts without checking again:

    attendances: trust_code String, date Date, attendances Int64, admissions Int64 (nullable)
    temperature: trust_code String, date Date, temperature_c Float64
    arrivals_hourly (optional input): trust_code String, hour_start_utc Datetime(us, UTC),
        arrivals Int64; sorted by trust and hour

Anything wrong raises `DataValidationError` carrying every problem found (up to 50), each
naming the source, where to look (CSV "line" counting the header as line 1, Parquet "row"
counting from 1, payload "index" counting from 0), the column, the value and the fix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

import polars as pl

from contract._columns import TEMPERATURE_RANGE_C, TRUST_CODE_PATTERN
from contract._files import RawTable, read_table, refuse
from contract._hours import ARRIVALS_HOURLY, LOCAL_ZONE
from contract._plausible import CountLimits
from contract._validate import (
    ATTENDANCES,
    MAX_PROBLEMS,
    TEMPERATURE,
    Kind,
    validate_table,
)
from contract.errors import DataValidationError, Problem

__all__ = [
    "ARRIVALS_HOURLY_SCHEMA",
    "ATTENDANCES_SCHEMA",
    "LOCAL_ZONE",
    "MAX_PROBLEMS",
    "TEMPERATURE_RANGE_C",
    "TEMPERATURE_SCHEMA",
    "TRUST_CODE_PATTERN",
    "read_arrivals_hourly",
    "read_attendances",
    "read_temperature",
    "validate_arrivals_hourly",
    "validate_attendance_records",
    "validate_attendances",
    "validate_temperature",
    "validate_temperature_records",
]

log = logging.getLogger(__name__)

ATTENDANCES_SCHEMA: dict[str, pl.DataType] = dict(ATTENDANCES.schema)
TEMPERATURE_SCHEMA: dict[str, pl.DataType] = dict(TEMPERATURE.schema)
ARRIVALS_HOURLY_SCHEMA: dict[str, pl.DataType] = dict(ARRIVALS_HOURLY.schema)


def read_attendances(path: str | Path, *, as_of: date | None = None,
                     busiest: Mapping[str, int] | None = None) -> pl.DataFrame:
    """Attendances from a CSV or Parquet file; no date may be after `as_of` (default today);
    no count beyond the plausible (`busiest`: each trust's busiest stored day)."""
    return validate_table(read_table(Path(path)), ATTENDANCES, str(path), as_of or date.today(),
                          CountLimits.from_settings(busiest))


def read_temperature(path: str | Path) -> pl.DataFrame:
    """Observed and forecast temperature from a CSV or Parquet file (any date is fine)."""
    return validate_table(read_table(Path(path)), TEMPERATURE, str(path), None)


def read_arrivals_hourly(path: str | Path, *, as_of: date | None = None) -> pl.DataFrame:
    """Hourly arrivals from a CSV or Parquet file; no hour may fall after `as_of` (UK time)."""
    table = read_table(Path(path))
    return validate_table(table, ARRIVALS_HOURLY, str(path), as_of or date.today())


def validate_arrivals_hourly(
    frame: pl.DataFrame, *, source: str = "data", as_of: date | None = None
) -> pl.DataFrame:
    """An in-memory hourly arrivals frame under the same rules; rows are counted from 1."""
    table = _in_memory(frame, "row", 1)
    return validate_table(table, ARRIVALS_HOURLY, source, as_of or date.today())


def validate_attendances(
    frame: pl.DataFrame, *, source: str = "data", as_of: date | None = None
) -> pl.DataFrame:
    """An in-memory attendances frame under the same rules; rows are counted from 1."""
    return validate_table(_in_memory(frame, "row", 1), ATTENDANCES, source, as_of or date.today())


def validate_temperature(frame: pl.DataFrame, *, source: str = "data") -> pl.DataFrame:
    """An in-memory temperature frame under the same rules; rows are counted from 1."""
    return validate_table(_in_memory(frame, "row", 1), TEMPERATURE, source, None)


def validate_attendance_records(
    trust_code: str,
    records: Sequence[object],
    *,
    as_of: date | None = None,
    source: str = "request body",
    busiest: int | None = None,
) -> pl.DataFrame:
    """A payload for one trust, `[{"date", "attendances", "admissions"?}]`, as a clean frame;
    `busiest`: the trust's busiest stored day, the base of the relative bound."""
    table = _records_table(trust_code, records, ATTENDANCES, source)
    limits = CountLimits.from_settings({} if busiest is None else {trust_code: busiest})
    return validate_table(table, ATTENDANCES, source, as_of or date.today(), limits)


def validate_temperature_records(
    trust_code: str, records: Sequence[object], *, source: str = "request body"
) -> pl.DataFrame:
    """A payload for one trust, `[{"date", "temperature_c"}]`, as a clean frame."""
    table = _records_table(trust_code, records, TEMPERATURE, source)
    return validate_table(table, TEMPERATURE, source, None)


def _in_memory(frame: pl.DataFrame, label: str, first: int) -> RawTable:
    numbers = pl.int_range(first, first + frame.height, eager=True, dtype=pl.Int64)
    return RawTable(frame, numbers, label)


def _records_table(trust_code: str, records: Sequence[object], kind: Kind, source: str) -> RawTable:
    """Payload items as a text frame (JSON numbers become their text), counted from index 0."""
    if not records:
        raise refuse(source, "is an empty list; send at least one day")
    problems = [
        Problem(source, i, None, _short(item), "each item must be an object", "index")
        for i, item in enumerate(records)
        if not isinstance(item, Mapping)
    ]
    if problems:
        raise DataValidationError(problems[:MAX_PROBLEMS])
    items = [item for item in records if isinstance(item, Mapping)]
    fields = [name for name in kind.schema if name != "trust_code"]
    present = {key for item in items for key in item}
    extra = sorted(str(key) for key in present - set(fields))
    if extra:
        log.warning("%s: ignoring extra fields %s", source, ", ".join(extra))
    columns = {
        name: pl.Series(name, [_as_text(item.get(name)) for item in items], dtype=pl.String)
        for name in fields
        if name in kind.required or name in present
    }
    frame = pl.DataFrame(columns).with_columns(trust_code=pl.lit(trust_code, dtype=pl.String))
    return _in_memory(frame, "index", 0)


def _as_text(value: object) -> str | None:
    """JSON values as the text a CSV cell would hold; booleans stay words and are refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else repr(value)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
