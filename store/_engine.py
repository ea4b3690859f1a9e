"""Engines for the two backends, with the connection settings each needs.

SQLite: WAL so the API reads while the batch writes, a busy timeout so writers queue instead of
failing, foreign keys on. The driver's own transaction handling is switched off and we emit
BEGIN ourselves (the SQLAlchemy-documented recipe), so that a writing transaction can take the
write lock up front with BEGIN IMMEDIATE and never fail half-way on a lock upgrade.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from contract.errors import StoreUnavailableError

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "aef_write"  # execution option: this transaction will write


def normalise_url(url: str) -> URL:
    """`postgresql://` and `postgres://` mean PostgreSQL through psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url.removeprefix(prefix)
    try:
        return make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreUnavailableError(f"not a database URL: {exc}") from exc


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for in-memory SQLite and other backends."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database))


def create_engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        path = sqlite_path(url)
        if path is not None:
            _reopen_when_writable(engine, path)
        return engine
    if backend == "postgresql":
        connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": 10}
        return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    raise StoreUnavailableError(f"unsupported database '{backend}': use sqlite or postgresql")


def _reopen_when_writable(engine: Engine, path: Path) -> None:
    """SQLite opens a file it cannot write read-only, and the connection stays read-only for
    life: one opened while the file was read-only is replaced as soon as the file is writable
    again, so writes recover by themselves, with no restart."""

    def connected(_dbapi: Any, record: Any) -> None:
        record.info["opened_read_only"] = sqlite_write_problem(path) is not None

    def checked_out(_dbapi: Any, record: Any, _proxy: Any) -> None:
        if record.info.get("opened_read_only") and sqlite_write_problem(path) is None:
            raise sa.exc.DisconnectionError("opened read-only; the file is writable now")

    sa.event.listen(engine, "connect", connected)
    sa.event.listen(engine, "checkout", checked_out)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable enough with WAL, much faster
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    writing = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


SQLITE_READONLY = 8  # the primary result code; extended codes keep it in their low byte


READ_ONLY_SQL_TRANSACTION = "25006"  # PostgreSQL: a standby, or read-only by default


def is_read_only(exc: BaseException) -> bool:
    """A write refused because the database is read-only: a SQLite file opened read-only, a
    PostgreSQL standby or a database read-only by default."""
    original = getattr(exc, "orig", None)
    if getattr(original, "sqlstate", None) == READ_ONLY_SQL_TRANSACTION:
        return True
    code = getattr(original, "sqlite_errorcode", None)
    return isinstance(original, sqlite3.Error) and code is not None and (
        code & 0xFF) == SQLITE_READONLY


def sqlite_write_problem(path: Path) -> str | None:
    """Why the file (or its folder, where the journal goes) cannot be written, if it cannot."""
    for place, what in ((path, "file"), (path.parent, "folder")):
        if place.exists() and not os.access(place, os.W_OK):
            return f"the database {what} {place} is read-only"
    return None
