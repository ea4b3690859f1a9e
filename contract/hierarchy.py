"""The optional `hierarchy` input: site -> trust -> ICS -> region -> nation, validated once.

One row per site; a trust without sites has one row with an empty `site_code` (or its own code
there). Codes follow the contract's code rule (3 to 5 upper-case letters/digits; a site code is
exactly 5, like the ODS site code `RXX01`); `nation` is England, Wales, Scotland or
NorthernIreland. Refused: a site under two trusts, a trust under two ICSs, an ICS under two
regions, a region under two nations, a code used at two levels, a repeated row. Each problem
names the file, the line (CSV, header = line 1) or row (Parquet, from 1), the column and value.
"""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from contract._columns import TRUST_CODE_PATTERN
from contract._files import RawTable, read_table
from contract._validate import MAX_PROBLEMS
from contract.errors import DataValidationError, Problem

log = logging.getLogger(__name__)

HIERARCHY_COLUMNS = ["site_code", "trust_code", "ics_code", "region", "nation"]
HIERARCHY_SCHEMA: dict[str, pl.DataType] = {c: pl.String() for c in HIERARCHY_COLUMNS}
NATIONS = ("England", "Wales", "Scotland", "NorthernIreland")
SITE_CODE_PATTERN = r"^[A-Z0-9]{5}$"
# child column -> parent column: each child has exactly one parent
PARENT_OF = {"site_code": "trust_code", "trust_code": "ics_code", "ics_code": "region",
             "region": "nation"}


def read_hierarchy(path: str | Path) -> pl.DataFrame:
    """The mapping from a CSV or Parquet file, clean (site_code null for site-less trusts)."""
    return _validate(read_table(Path(path)), str(path))


def validate_hierarchy(frame: pl.DataFrame, *, source: str = "hierarchy") -> pl.DataFrame:
    """An in-memory mapping under the same rules; rows are counted from 1."""
    numbers = pl.int_range(1, frame.height + 1, eager=True, dtype=pl.Int64)
    return _validate(RawTable(frame, numbers, "row"), source)


def _validate(table: RawTable, source: str) -> pl.DataFrame:
    frame, label = table.frame, table.row_label
    missing = [c for c in HIERARCHY_COLUMNS[1:] if c not in frame.columns]
    if missing:
        have = ", ".join(frame.columns) or "none"
        header = 1 if label == "line" else None
        raise DataValidationError([
            Problem(source, header, c, None, f"missing required column '{c}'; the columns "
                    f"found are: {have}", label) for c in missing])
    extra = [c for c in frame.columns if c not in HIERARCHY_COLUMNS]
    if extra:
        log.warning("%s: ignoring extra columns %s", source, ", ".join(extra))
    text = pl.DataFrame({
        c: (frame[c].cast(pl.String).str.strip_chars() if c in frame.columns
            else pl.repeat(None, frame.height, dtype=pl.String, eager=True))
        for c in HIERARCHY_COLUMNS
    }).with_columns(
        site_code=pl.when(
            (pl.col("site_code") == "") | (pl.col("site_code") == pl.col("trust_code"))
        ).then(None).otherwise(pl.col("site_code")),
        _row=table.row_numbers,
    )
    problems = _cell_problems(text, source, label)
    if not problems:
        problems = _structure_problems(text, source, label)
    if problems:
        raise DataValidationError(problems[:MAX_PROBLEMS], len(problems))
    return text.drop("_row").unique(maintain_order=True).sort("trust_code", "site_code")


def _cell_problems(text: pl.DataFrame, source: str, label: str) -> list[Problem]:
    rules: list[tuple[str, pl.Expr, str]] = [
        ("site_code", pl.col("site_code").is_not_null()
         & ~pl.col("site_code").str.contains(SITE_CODE_PATTERN),
         "a site code is 5 upper-case letters or digits, e.g. RXX01 (empty for a trust "
         "without sites)"),
        *[(c, pl.col(c).is_null() | (pl.col(c) == ""), f"{c} is required in every row")
          for c in HIERARCHY_COLUMNS[1:]],
        *[(c, pl.col(c).is_not_null() & ~pl.col(c).str.contains(TRUST_CODE_PATTERN),
           f"{c} must be 3 to 5 upper-case letters or digits, e.g. RXX, QE1, Y56")
          for c in ("trust_code", "ics_code", "region")],
        ("nation", pl.col("nation").is_not_null() & ~pl.col("nation").is_in(list(NATIONS)),
         f"nation must be one of {', '.join(NATIONS)}"),
    ]
    problems: list[Problem] = []
    for column, bad, message in rules:
        for row in text.filter(bad.fill_null(False)).iter_rows(named=True):
            problems.append(Problem(source, row["_row"], column, row[column], message, label))
    return sorted(problems, key=lambda p: (p.row or 0, HIERARCHY_COLUMNS.index(p.column or "")))


def _structure_problems(text: pl.DataFrame, source: str, label: str) -> list[Problem]:
    """Two parents for one child, one code at two levels, a repeated row."""
    problems: list[Problem] = []
    for child, parent in PARENT_OF.items():
        pairs = text.filter(pl.col(child).is_not_null()).select(child, parent, "_row")
        first = pairs.group_by(child, parent).agg(pl.col("_row").min()).sort("_row")
        clash = first.filter(pl.col(child).is_duplicated()).sort("_row")
        seen: dict[str, tuple[str, int]] = {}
        for code, owner, row in clash.iter_rows():
            if code in seen:
                other, other_row = seen[code]
                problems.append(Problem(
                    source, row, parent, owner, f"{child} {code} is already under {parent} "
                    f"{other} on {label} {other_row}; each {child} has one {parent}", label))
            else:
                seen[code] = (owner, row)
    problems.extend(_shared_codes(text, source, label))
    repeats = text.filter(pl.struct(HIERARCHY_COLUMNS).is_duplicated()).with_columns(
        first=pl.col("_row").min().over(HIERARCHY_COLUMNS)
    ).filter(pl.col("_row") != pl.col("first"))
    for row in repeats.iter_rows(named=True):
        problems.append(Problem(source, row["_row"], None, None,
                                f"repeats {label} {row['first']}; keep one row per site", label))
    return sorted(problems, key=lambda p: p.row or 0)


def _shared_codes(text: pl.DataFrame, source: str, label: str) -> list[Problem]:
    """A code names one node: the same code as a site and a trust (say) is refused."""
    levels = [c for c in HIERARCHY_COLUMNS if c != "nation"]
    used = pl.concat([
        text.select(pl.col(c).alias("code"), pl.lit(c).alias("column"), "_row").drop_nulls("code")
        for c in levels
    ]).group_by("code", "column").agg(pl.col("_row").min()).sort("_row")
    twice = used.filter(pl.col("code").is_duplicated())
    problems: list[Problem] = []
    first: dict[str, tuple[str, int]] = {}
    for code, column, row in twice.iter_rows():
        if code in first:
            other, other_row = first[code]
            problems.append(Problem(source, row, column, code, f"this code is already a "
                                    f"{other} on {label} {other_row}; codes must be unique "
                                    "across levels", label))
        else:
            first[code] = (column, row)
    return problems
