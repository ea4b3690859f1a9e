"""Reading input files into raw frames, remembering where each row sits in the file.

CSV is read as text only (`infer_schema=False`) so that the column parsers, not polars, decide
what a valid value is and say so precisely. Every way a file can fail to open becomes a
`DataValidationError` naming the file, never a raw polars or OS exception.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from contract.errors import DataValidationError, Problem

_BOM = b"\xef\xbb\xbf"
MAX_FILE_BYTES = 256 * 1024 * 1024  # ~8 million rows: 30 times all of England's trusts for 20 years
# Rows are counted before a byte is decoded: a compressed Parquet file of a few kilobytes can
# hold tens of millions of rows (a decompression bomb), and a CSV of short lines many more.
MAX_ROWS = 8_000_000
_CSV_FIELD_LIMIT = csv.field_size_limit()  # Python's csv module refuses longer fields
CSV_SUFFIXES = (".csv",)
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class RawTable:
    """A frame as read, with the number a person uses to find each row (`row_label` N)."""

    frame: pl.DataFrame
    row_numbers: pl.Series
    row_label: str


def refuse(
    source: str, message: str, *, row: int | None = None, label: str = "line"
) -> DataValidationError:
    """One whole-file problem as the error to raise."""
    return DataValidationError([Problem(source, row, None, None, message, row_label=label)])


def read_table(path: Path) -> RawTable:
    """The file at `path` as text (CSV) or typed (Parquet) columns, chosen by its extension."""
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES + PARQUET_SUFFIXES:
        raise refuse(source, f"has extension '{path.suffix}'; give a .csv or .parquet file")
    if not path.exists():
        raise refuse(source, "file not found; check the path")
    if not path.is_file():
        raise refuse(source, "is not a file")
    _check_size(path, source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise refuse(source, f"cannot be read ({exc.strerror})") from exc
    table = _read_csv(data, source) if suffix in CSV_SUFFIXES else _read_parquet(data, source)
    return _tidy(table, source)


def _read_csv(data: bytes, source: str) -> RawTable:
    data = data.removeprefix(_BOM)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise refuse(
            source,
            f"is not UTF-8 text (byte {data[exc.start]:#04x}); save it as UTF-8 "
            "(in Excel: 'CSV UTF-8')",
            row=line,
        ) from exc
    if not text.strip():
        raise refuse(source, "is empty; expected a header line, then one row per trust per day")
    if "\r" in text and "\n" not in text:  # classic Mac line ends (Excel's "CSV (Macintosh)")
        text = text.replace("\r", "\n")
        data = text.encode("utf-8")
    _check_rows(data.count(b"\n"), source)
    _check_header(text, source)
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
        raise _csv_failure(text, source, exc) from exc
    if frame.width == 1:
        for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if separator in frame.columns[0]:
                raise refuse(source, f"separates fields with {name}; use commas", row=1)
    return RawTable(frame, _csv_line_numbers(text, frame.height, source), "line")


def _check_size(path: Path, source: str) -> None:
    """Refuse, before reading a byte, a file far larger than any real input could be."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise refuse(
            source,
            f"is too large: {size / 1e6:,.0f} MB, the limit is {MAX_FILE_BYTES / 1e6:,.0f} MB "
            "(about 8 million rows); check it is the right file, or split it by year",
        )


def _check_rows(rows: int, source: str) -> None:
    """Refuse, before decoding, more rows than any real input could hold."""
    if rows > MAX_ROWS:
        raise refuse(
            source,
            f"has {rows:,} rows, the limit is {MAX_ROWS:,} (30 times all of England's trusts "
            "for 20 years); check it is the right file, or split it by year",
        )


def _csv_rows(text: str, source: str) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on; a field too long for any real value (the
    csv module's limit) is refused at its line rather than escaping as a csv.Error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise refuse(
                source,
                f"has a field longer than {_CSV_FIELD_LIMIT:,} characters ({exc}); no value of "
                "this file is that long: check the quotes, or that it is the right file",
                row=start,
            ) from exc
        yield start, fields
        start = reader.line_num + 1


def _check_header(text: str, source: str) -> None:
    """A column named twice is ambiguous (which one holds the counts?): refuse it."""
    header = next((fields for _, fields in _csv_rows(text, source)), [])
    seen: set[str] = set()
    for name in (field.strip() for field in header):
        if name and name in seen:
            raise refuse(source, f"names the column '{name}' twice in the header; keep one", row=1)
        seen.add(name)


def _csv_line_numbers(text: str, height: int, source: str) -> pl.Series:
    """Line of each data row: header is line 1; quoted fields may span lines, so count them."""
    trivial = pl.int_range(2, height + 2, eager=True, dtype=pl.Int64)
    if '"' not in text:
        return trivial
    starts = [start for start, _ in _csv_rows(text, source)]
    return pl.Series(starts[1:], dtype=pl.Int64) if len(starts) - 1 == height else trivial


def _csv_failure(text: str, source: str, exc: Exception) -> DataValidationError:
    """Locate what polars choked on; a row with too many fields is the usual culprit."""
    rows = _csv_rows(text, source)
    header = next(rows, (1, []))[1]
    for line, fields in rows:
        if len(fields) > len(header):
            return refuse(
                source,
                f"has {len(fields)} fields but the header has {len(header)}; "
                "quote values that contain commas",
                row=line,
            )
    unclosed = _unclosed_quote_line(text)
    if unclosed is not None:
        return refuse(
            source,
            'opens a quote (") that is never closed; close it, or remove the stray quote',
            row=unclosed,
        )
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return refuse(source, f"could not be read as CSV ({first_line})")


def _unclosed_quote_line(text: str) -> int | None:
    """The line where a quote opens that never closes (quotes pair up, `""` included)."""
    opened_at, inside = None, False
    for number, line in enumerate(text.splitlines(), start=1):
        for _ in range(line.count('"')):
            inside = not inside
            opened_at = number if inside else None
    return opened_at if inside else None


def _read_parquet(data: bytes, source: str) -> RawTable:
    # A corrupt file can make polars panic: PanicException is a BaseException, so name it.
    try:
        _check_rows(pl.scan_parquet(io.BytesIO(data)).select(pl.len()).collect().item(), source)
        frame = pl.read_parquet(io.BytesIO(data))
    except DataValidationError:
        raise
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError) as exc:
        raise refuse(
            source,
            "is not a readable Parquet file (empty, truncated or not Parquet); write it again",
        ) from exc
    return RawTable(frame, pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64), "row")


def _tidy(table: RawTable, source: str) -> RawTable:
    """Strip blanks around column names and drop blank lines; refuse a file without data rows."""
    frame = table.frame
    names = [name.strip() for name in frame.columns]
    if len(set(names)) == len(names):
        frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    blank = frame.select(pl.all_horizontal(pl.all().is_null())).to_series() if frame.width else None
    if blank is not None and blank.any():
        frame, numbers = frame.filter(~blank), table.row_numbers.filter(~blank)
    else:
        numbers = table.row_numbers
    if frame.height == 0:
        raise refuse(source, "has a header but no data rows; expected one row per trust per day")
    return RawTable(frame, numbers, table.row_label)
