"""`Store`: the one way the code reads and writes the service's database."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl
import sqlalchemy as sa

from contract.errors import SchemaBehindError, StoreReadOnlyError, StoreUnavailableError
from contract.inputs import ARRIVALS_HOURLY_SCHEMA, ATTENDANCES_SCHEMA, TEMPERATURE_SCHEMA
from contract.settings import Settings, get_settings
from store import _tables as t
from store._engine import (
    WRITE_OPTION,
    create_engine,
    is_read_only,
    normalise_url,
    sqlite_path,
    sqlite_write_problem,
)
from store._read import read_frame, read_hours
from store._upsert import (
    ARRIVALS_HOURLY,
    ATTENDANCES,
    TEMPERATURES,
    UpsertResult,
    lock_writers,
    register_trusts,
    upsert,
)

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 7_412_001  # pg_advisory_xact_lock key: one migrator at a time
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HourlyExtent:
    """How far a trust's hourly arrivals reach, and when they last changed (both UTC)."""

    latest_hour: datetime
    updated_at: datetime


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did, per table; None for a table that was not given."""

    attendances: UpsertResult | None
    temperature: UpsertResult | None
    arrivals_hourly: UpsertResult | None = None


class Store:
    """The database behind the service: embedded SQLite file or PostgreSQL, chosen by URL.

    Nothing connects until first use. Every write method is one transaction, all or nothing.
    """

    def __init__(self, url: str, *, migrate_on_start: bool = True) -> None:
        self._url = normalise_url(url)
        self._engine: sa.Engine | None = None
        self.migrate_on_start = migrate_on_start

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Store:
        settings = settings or get_settings()
        return cls(settings.resolved_database_url, migrate_on_start=settings.migrate_on_start)

    @property
    def url(self) -> str:
        """The URL with any password hidden, fit for logs and messages."""
        return self._url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self._url.get_backend_name()

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = create_engine(self._url)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[sa.Connection]:
        """One transaction, committed on success and rolled back on any exception; a lost
        connection or a lock timeout, at connect or part-way, is a StoreUnavailableError.

        On SQLite a writing transaction takes the write lock at once (BEGIN IMMEDIATE).
        """
        path = sqlite_path(self._url)
        if path is not None and not path.exists():
            raise StoreUnavailableError(
                f"no database at {path} yet: run `aeforecast ingest` to create it"
            )
        try:
            conn = self.engine.connect()
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise StoreUnavailableError(
                f"cannot reach the database {self.url}: {_reason(exc)}"
            ) from exc
        try:
            with conn:
                conn.execution_options(**{WRITE_OPTION: write})
                with conn.begin():
                    yield conn
        except sa.exc.DBAPIError as exc:
            if is_read_only(exc):  # SQLite: the engine reopens it once the file is writable
                raise StoreReadOnlyError(
                    f"the database {self.url} is read-only, so nothing can be written (reads go "
                    f"on): {_reason(exc)}; make it writable again"
                ) from exc
            if not isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
                raise
            # Failed part-way (server gone, lock timeout): the caller may retry, and no layer
            # above the store needs to know SQLAlchemy's exceptions to say so.
            raise StoreUnavailableError(
                f"the database {self.url} failed during a query: {_reason(exc)}"
            ) from exc

    def ping(self) -> None:
        """Raise StoreUnavailableError unless the database answers."""
        try:
            with self.transaction(write=False) as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError as exc:
            raise StoreUnavailableError(
                f"database {self.url} is not answering: {_reason(exc)}"
            ) from exc

    def exists(self) -> bool:
        """Whether the database holds the service's tables yet (reading never creates it)."""
        path = sqlite_path(self._url)
        if path is not None and not path.exists():
            return False
        with self.transaction(write=False) as conn:
            return sa.inspect(conn).has_table(t.attendances.name)

    def write_problem(self) -> str | None:
        """Why nothing can be written now (a read-only file, a read-only standby), or None.
        Cheap enough for every readiness check: it takes no write lock."""
        path = sqlite_path(self._url)
        if path is not None:
            return sqlite_write_problem(path)
        if self.dialect != "postgresql":
            return None
        with self.transaction(write=False) as conn:
            read_only = conn.execute(sa.text("SHOW transaction_read_only")).scalar()
        return "the database is read-only (a standby, or read-only by default)" if (
            read_only == "on") else None

    def migrate(self) -> None:
        """The schema at the latest migration, as every command needs it: applied here unless
        migrating at start-up is off (`AEF_MIGRATE_ON_START=false`, for operators who run
        `aeforecast db upgrade` as a step of their own), and then only checked."""
        if self.migrate_on_start:
            self.upgrade()
            return
        current, head = self.schema_revision()
        if current != head:
            raise SchemaBehindError(
                f"the database schema of {self.url} is at {current or 'nothing (empty)'}, this "
                f"version needs {head}; migrating at start-up is off (AEF_MIGRATE_ON_START): run "
                "`aeforecast db upgrade` first")

    def schema_revision(self) -> tuple[str | None, str]:
        """(the database's migration, the latest this version knows)."""
        _quiet_alembic()
        from alembic.runtime.migration import MigrationContext

        config = _alembic_config()
        path = sqlite_path(self._url)
        if path is not None and not path.exists():
            return None, _head(config)
        with self.transaction(write=False) as conn:
            return MigrationContext.configure(conn).get_current_revision(), _head(config)

    def upgrade(self) -> str | None:
        """Bring the schema to the latest migration (creating the SQLite file and its folder);
        the revision it was at before."""
        _quiet_alembic()
        from alembic import command  # a third of a second to import; only migrating needs it
        from alembic.runtime.migration import MigrationContext

        path = sqlite_path(self._url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
        config = _alembic_config()
        with self.transaction() as conn:
            if self.dialect == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK}
                )
            current = MigrationContext.configure(conn).get_current_revision()
            head = _head(config)
            if current != head:
                log.info("migrating the database schema from %s to %s", current or "empty", head)
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        return current

    def ingest(
        self,
        attendances: pl.DataFrame | None = None,
        temperature: pl.DataFrame | None = None,
        *,
        source: str = "api",
        temperature_source: str | None = None,
        arrivals_hourly: pl.DataFrame | None = None,
        hourly_source: str | None = None,
    ) -> IngestResult:
        """Upsert frames from contract.inputs in one transaction, with an audit row each.

        `source` is recorded for attendances, `temperature_source` (default: `source`) for
        temperature, `hourly_source` for hourly arrivals. Temperature and hourly arrivals may
        name trusts that have no attendances yet.
        """
        now = datetime.now(UTC)
        with self.transaction() as conn:
            lock_writers(conn)
            att = temp = None
            if attendances is not None:
                register_trusts(conn, attendances["trust_code"].unique().sort().to_list(), now)
                att = upsert(conn, ATTENDANCES, attendances, now)
                _audit(conn, "attendances", source, att, now)
            if temperature is not None:
                temp = upsert(conn, TEMPERATURES, temperature, now)
                _audit(conn, "temperature", temperature_source or source, temp, now)
            hours = None
            if arrivals_hourly is not None:
                hours = upsert(conn, ARRIVALS_HOURLY, arrivals_hourly, now)
                _audit(conn, "arrivals_hourly", hourly_source or source, hours, now)
        return IngestResult(att, temp, hours)

    def upsert_attendances(self, frame: pl.DataFrame, *, source: str = "api") -> UpsertResult:
        result = self.ingest(attendances=frame, source=source).attendances
        assert result is not None
        return result

    def upsert_temperature(self, frame: pl.DataFrame, *, source: str = "api") -> UpsertResult:
        result = self.ingest(temperature=frame, source=source).temperature
        assert result is not None
        return result

    def read_attendances(
        self, trusts: list[str] | None = None, start: date | None = None, end: date | None = None
    ) -> pl.DataFrame:
        """Stored attendances (contract schema), sorted by trust and date; bounds inclusive."""
        return self._read("attendances", ATTENDANCES_SCHEMA, trusts, start, end)

    def read_temperature(
        self, trusts: list[str] | None = None, start: date | None = None, end: date | None = None
    ) -> pl.DataFrame:
        """Stored temperature (contract schema), sorted by trust and date; bounds inclusive."""
        return self._read("temperatures", TEMPERATURE_SCHEMA, trusts, start, end)

    def read_arrivals_hourly(
        self, trust_code: str, start: datetime | None = None, end: datetime | None = None
    ) -> pl.DataFrame:
        """One trust's stored hourly arrivals (contract schema), by hour; bounds inclusive."""
        with self.transaction(write=False) as conn:
            return read_hours(conn, ARRIVALS_HOURLY_SCHEMA, trust_code, start, end)

    def hourly_extent(self, trust_code: str) -> HourlyExtent | None:
        """The trust's newest stored hour and latest hourly write; None without hourly data.

        Cheap (one indexed aggregate), so a cached profile can ask whether it is still current.
        """
        table = t.arrivals_hourly
        stmt = sa.select(
            sa.func.max(table.c.hour_start_utc), sa.func.max(table.c.updated_at)
        ).where(table.c.trust_code == trust_code)
        with self.transaction(write=False) as conn:
            latest, updated = conn.execute(stmt).one()
        if latest is None:
            return None
        return HourlyExtent(_as_utc(latest), _as_utc(updated))

    def trust_codes(self) -> list[str]:
        """Every trust with attendances, sorted."""
        with self.transaction(write=False) as conn:
            stmt = sa.select(t.trusts.c.trust_code).order_by(t.trusts.c.trust_code)
            return list(conn.scalars(stmt))

    def nations(self, trusts: list[str]) -> dict[str, str]:
        """Each of `trusts`' nation, where the store knows it."""
        wanted = set(trusts)
        with self.transaction(write=False) as conn:
            rows = conn.execute(sa.select(t.trusts.c.trust_code, t.trusts.c.nation))
            return {code: nation for code, nation in rows if code in wanted}

    def has_admissions(self, end: date) -> bool:
        """Whether any admissions count is stored on or before `end`."""
        a = t.attendances
        stmt = sa.select(a.c.trust_code).where(a.c.admissions.is_not(None), a.c.date <= end)
        with self.transaction(write=False) as conn:
            return conn.scalar(stmt.limit(1)) is not None

    def counts(self) -> dict[str, int]:
        """Rows per table, for summaries and checks."""
        with self.transaction(write=False) as conn:
            return {
                table.name: int(conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
                for table in (t.trusts, t.attendances, t.temperatures, t.ingests)
            }

    def _read(
        self,
        table: str,
        schema: dict[str, pl.DataType],
        trusts: list[str] | None,
        start: date | None,
        end: date | None,
    ) -> pl.DataFrame:
        with self.transaction(write=False) as conn:
            return read_frame(conn, table, schema, trusts, start, end)


def _audit(
    conn: sa.Connection, kind: str, source: str, result: UpsertResult, now: datetime
) -> None:
    conn.execute(
        sa.insert(t.ingests).values(
            kind=kind,
            source=source[:1000],
            rows=result.rows,
            inserted=result.inserted,
            updated=result.updated,
            at=now,
        )
    )


def _as_utc(stamp: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _quiet_alembic() -> None:
    """Before alembic is imported: it logs its plugins at import."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # we log the one line that matters


def _alembic_config() -> Any:
    _quiet_alembic()
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


def _head(config: Any) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "the project ships its migrations"
    return head


def _reason(exc: BaseException) -> str:
    """The driver's first line, without SQLAlchemy's boilerplate."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip()
    return text.splitlines()[0] if text else type(original).__name__
