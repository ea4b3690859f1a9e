"""Validating a raw table against one kind of input, collecting every problem (up to a cap)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from contract._columns import (
    ColumnTypeError,
    Parsed,
    parse_count,
    parse_date,
    parse_temperature,
    parse_trust_code,
)
from contract._files import RawTable
from contract._plausible import COUNT_COLUMNS, CountLimits, implausible
from contract.errors import DataValidationError, Problem

log = logging.getLogger(__name__)

MAX_PROBLEMS = 50
Parser = Callable[[pl.Series, date | None], Parsed]


@dataclass(frozen=True)
class Kind:
    """One kind of input: its columns in output order, which are required, how each parses."""

    name: str
    schema: dict[str, pl.DataType]
    required: tuple[str, ...]
    parsers: dict[str, Parser]
    key: str = "date"  # with trust_code, what makes a row unique and orders the output
    key_phrase: str = "on this date"  # how a duplicate message names the key
    unit: str = "day"


ATTENDANCES = Kind(
    name="attendances",
    schema={
        "trust_code": pl.String(),
        "date": pl.Date(),
        "attendances": pl.Int64(),
        "admissions": pl.Int64(),
    },
    required=("trust_code", "date", "attendances"),
    parsers={
        "trust_code": lambda raw, _: parse_trust_code(raw),
        "date": parse_date,
        "attendances": lambda raw, _: parse_count(raw, required=True),
        "admissions": lambda raw, _: parse_count(raw, required=False),
    },
)

TEMPERATURE = Kind(
    name="temperature",
    schema={"trust_code": pl.String(), "date": pl.Date(), "temperature_c": pl.Float64()},
    required=("trust_code", "date", "temperature_c"),
    parsers={
        "trust_code": lambda raw, _: parse_trust_code(raw),
        "date": lambda raw, _: parse_date(raw, None),  # temperature may be a forecast
        "temperature_c": lambda raw, _: parse_temperature(raw),
    },
)


def validate_table(table: RawTable, kind: Kind, source: str, as_of: date | None,
                   limits: CountLimits | None = None) -> pl.DataFrame:
    """The clean typed frame, sorted by trust and date; or every problem found, raised at once.
    Daily counts are held to `limits` (default: the settings' absolute bound only)."""
    frame = table.frame
    header = 1 if table.row_label == "line" else None  # a CSV's header is line 1
    problems = _column_problems(frame.columns, kind, source, header)
    parsed: dict[str, Parsed] = {}
    for name, parser in kind.parsers.items():
        if name not in frame.columns:
            continue
        try:
            parsed[name] = parser(frame[name], as_of)
        except ColumnTypeError as exc:
            problems.append(Problem(source, None, name, None, str(exc)))
    cells = [_cell_problems(table, kind, name, parsed[name]) for name in parsed]
    if "trust_code" in parsed and kind.key in parsed:
        cells.append(_duplicates(table, kind, parsed["trust_code"].values, parsed[kind.key].values))
    if kind.name == "attendances" and "trust_code" in parsed:
        limits = limits or CountLimits.from_settings()
        cells += [implausible(table.row_numbers, parsed["trust_code"].values, parsed[c].values,
                              table.frame[c], c, list(kind.schema).index(c), limits)
                  for c in COUNT_COLUMNS if c in parsed]
    located = pl.concat(cells).sort("row", "position") if cells else None
    n_located = 0 if located is None else located.height
    if problems or n_located:
        raise _error(problems, located, source, table.row_label)
    columns = {
        name: parsed[name].values.cast(dtype)
        if name in parsed
        else pl.repeat(None, frame.height, dtype=dtype, eager=True)
        for name, dtype in kind.schema.items()
    }
    return pl.DataFrame(columns).sort("trust_code", kind.key)


def _column_problems(
    columns: list[str], kind: Kind, source: str, header: int | None,
) -> list[Problem]:
    """A missing required column is an error; an extra one only a warning."""
    problems = []
    for name in kind.required:
        if name in columns:
            continue
        near = [c for c in columns if c.strip().lower() == name]
        hint = f"; found '{near[0]}' (names are lower case)" if near else ""
        have = ", ".join(columns) or "none"
        message = f"missing required column '{name}'{hint}; the columns found are: {have}"
        problems.append(Problem(source, header, name, None, message))
    extra = [c for c in columns if c not in kind.schema]
    if extra:
        log.warning("%s: ignoring extra columns %s", source, ", ".join(extra))
    return problems


def _cell_problems(table: RawTable, kind: Kind, name: str, parsed: Parsed) -> pl.DataFrame:
    position = list(kind.schema).index(name)
    return pl.DataFrame(
        {
            "row": table.row_numbers,
            "position": pl.repeat(position, table.frame.height, dtype=pl.Int64, eager=True),
            "column": pl.repeat(name, table.frame.height, dtype=pl.String, eager=True),
            "value": table.frame[name].cast(pl.String),
            "message": parsed.messages,
        }
    ).filter(pl.col("message").is_not_null())


def _duplicates(table: RawTable, kind: Kind, trust: pl.Series, day: pl.Series) -> pl.DataFrame:
    """Every repeat of a (trust_code, key) already seen, pointing at the first occurrence."""
    keys = pl.DataFrame({"row": table.row_numbers, "t": trust, "d": day}).drop_nulls()
    repeats = keys.with_columns(first=pl.col("row").min().over("t", "d")).filter(
        pl.col("row") != pl.col("first")
    )
    label = table.row_label
    return repeats.select(
        "row",
        position=pl.lit(1, dtype=pl.Int64),
        column=pl.lit(kind.key),
        value=pl.col("d").cast(pl.String),
        message=pl.format(
            f"duplicate: trust {{}} {kind.key_phrase} is already on {label} {{}}; "
            f"keep one row per trust per {kind.unit}",
            "t",
            "first",
        ),
    )


def _error(
    problems: list[Problem], located: pl.DataFrame | None, source: str, label: str
) -> DataValidationError:
    """Whole-column problems first, then cells in file order, capped at MAX_PROBLEMS."""
    total = len(problems) + (0 if located is None else located.height)
    if located is not None:
        for row in located.head(max(MAX_PROBLEMS - len(problems), 0)).iter_rows(named=True):
            problems.append(
                Problem(source, row["row"], row["column"], row["value"], row["message"], label)
            )
    problems = problems[:MAX_PROBLEMS]
    if total > len(problems):
        more = total - len(problems)
        problems.append(
            Problem(source, None, None, None, f"{more} more problems not listed; fix these first")
        )
    return DataValidationError(problems, total)
