"""Bulk upserts, one statement path per backend, counting what really changed.

A row whose values equal the stored ones is left alone (its `updated_at` does not move), so
re-ingesting a file changes nothing. An absent admissions value never erases a stored one: a
feed without admissions must not wipe those that came from a fuller feed.

SQLite: `executemany` of `INSERT ... ON CONFLICT DO UPDATE ... WHERE changed` on the driver
cursor (no per-row SQLAlchemy work); the writer holds the database lock (BEGIN IMMEDIATE).
PostgreSQL: COPY into a temporary table, then `UPDATE ... FROM` the rows that changed and
`INSERT ... WHERE NOT EXISTS` the new ones. Measured on 330k rows that is twice as fast as
`INSERT ... ON CONFLICT` (speculative insertion); writers take an advisory lock first, so no
concurrent ingest can insert the same key in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

WRITER_LOCK = 7_412_002  # pg_advisory_xact_lock key held by every ingest transaction


@dataclass(frozen=True)
class UpsertResult:
    """What one upsert did to its table; `inserted + updated + unchanged == rows`."""

    inserted: int
    updated: int
    unchanged: int

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True)
class _Target:
    """A table keyed by (trust_code, key); SQL fragments use `cur` (stored) and `{new}`."""

    table: str
    columns: tuple[str, ...]  # value columns, after trust_code and the key
    pg_types: tuple[str, ...]
    assignments: str
    changed: str
    key: str = "date"
    key_pg_type: str = "date"


ATTENDANCES = _Target(
    table="attendances",
    columns=("attendances", "admissions"),
    pg_types=("integer", "integer"),
    assignments="attendances = {new}.attendances, "
    "admissions = COALESCE({new}.admissions, cur.admissions)",
    changed="cur.attendances {distinct} {new}.attendances OR "
    "({new}.admissions IS NOT NULL AND cur.admissions {distinct} {new}.admissions)",
)
TEMPERATURES = _Target(
    table="temperatures",
    columns=("temperature_c",),
    pg_types=("double precision",),
    assignments="temperature_c = {new}.temperature_c",
    changed="cur.temperature_c {distinct} {new}.temperature_c",
)
ARRIVALS_HOURLY = _Target(
    table="arrivals_hourly",
    columns=("arrivals",),
    pg_types=("integer",),
    assignments="arrivals = {new}.arrivals",
    changed="cur.arrivals {distinct} {new}.arrivals",
    key="hour_start_utc",
    key_pg_type="timestamptz",
)


def upsert(
    conn: sa.Connection, target: _Target, frame: pl.DataFrame, now: datetime
) -> UpsertResult:
    """Upsert `frame` (trust_code, key, *target.columns) inside the caller's transaction."""
    if frame.is_empty():
        return UpsertResult(0, 0, 0)
    frame = frame.select("trust_code", target.key, *target.columns)
    if conn.dialect.name == "postgresql":
        inserted, updated = _postgres(conn, target, frame, now)
    else:
        inserted, updated = _sqlite(conn, target, frame, now)
    return UpsertResult(inserted, updated, frame.height - inserted - updated)


def lock_writers(conn: sa.Connection) -> None:
    """One writer at a time on PostgreSQL (SQLite's BEGIN IMMEDIATE already does this)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK})


def register_trusts(conn: sa.Connection, codes: list[str], now: datetime) -> None:
    """Add trusts not seen before; known trusts keep their first_seen and nation."""
    stmt = sa.text(
        "INSERT INTO trusts (trust_code, first_seen) VALUES (:code, :now) "
        "ON CONFLICT (trust_code) DO NOTHING"
    ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True)))
    if codes:
        conn.execute(stmt, [{"code": code, "now": now} for code in codes])


def _sqlite(
    conn: sa.Connection, target: _Target, frame: pl.DataFrame, now: datetime
) -> tuple[int, int]:
    """Inserted = growth of the table; updated = the remaining changes the driver counted."""
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DateTime format
    key_format = "%Y-%m-%d" if target.key_pg_type == "date" else "%Y-%m-%d %H:%M:%S%.6f"
    rows = frame.with_columns(pl.col(target.key).dt.to_string(key_format), updated_at=pl.lit(stamp))
    columns = ", ".join(rows.columns)
    fragments = {"new": "excluded", "distinct": "IS NOT"}
    sql = (
        f"INSERT INTO {target.table} AS cur ({columns}) VALUES ({', '.join('?' * rows.width)}) "
        f"ON CONFLICT (trust_code, {target.key}) DO UPDATE SET "
        f"{target.assignments.format(**fragments)}, updated_at = excluded.updated_at "
        f"WHERE {target.changed.format(**fragments)}"
    )
    cursor: Any = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        before = cursor.execute(f"SELECT count(*) FROM {target.table}").fetchone()[0]
        cursor.executemany(sql, rows.iter_rows())
        changed = cursor.rowcount
        after = cursor.execute(f"SELECT count(*) FROM {target.table}").fetchone()[0]
    finally:
        cursor.close()
    inserted = int(after - before)
    return inserted, int(changed) - inserted


def _postgres(
    conn: sa.Connection, target: _Target, frame: pl.DataFrame, now: datetime
) -> tuple[int, int]:
    stage = f"_stage_{target.table}"
    typed = ", ".join(f"{c} {t}" for c, t in zip(target.columns, target.pg_types, strict=True))
    key = target.key
    columns = ", ".join(("trust_code", key, *target.columns))
    fragments = {"new": "s", "distinct": "IS DISTINCT FROM"}
    same_key = f"cur.trust_code = s.trust_code AND cur.{key} = s.{key}"
    raw: Any = conn.connection.driver_connection
    with raw.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {stage} (trust_code text, {key} {target.key_pg_type}, {typed})"
        )
        with cursor.copy(f"COPY {stage} FROM STDIN (FORMAT csv)") as copy:
            copy.write(frame.write_csv(include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%z"))
        cursor.execute(f"ANALYZE {stage}")
        cursor.execute(
            f"UPDATE {target.table} AS cur SET {target.assignments.format(**fragments)}, "
            f"updated_at = %(now)s FROM {stage} AS s "
            f"WHERE {same_key} AND ({target.changed.format(**fragments)})",
            {"now": now},
        )
        updated = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {target.table} ({columns}, updated_at) "
            f"SELECT {columns}, %(now)s FROM {stage} AS s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {target.table} AS cur WHERE {same_key})",
            {"now": now},
        )
        inserted = cursor.rowcount
        cursor.execute(f"DROP TABLE {stage}")
    return int(inserted), int(updated)
