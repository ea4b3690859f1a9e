"""Writing a forecast run so that readers never see half of one.

1. `RunLog.begin` records the attempt as 'running' (its own short transaction; readers ignore
   it).
2. `RunLog.complete` writes every trust's rows *and* flips the status to 'complete' in one
   transaction. A crash before the commit leaves only the 'running' record, which the next
   batch marks 'failed' (`abandon_running`); the previous complete run stays the one served.

The caller holds the batch lock (`RunLog.lock`: one batch at a time), so a 'running' record
found at the start belongs to a dead process.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import polars as pl
import sqlalchemy as sa

from contract.errors import ForecastError
from forecast.targets import DEFAULT_TARGET, Target
from store import Store
from store import _tables as t
from store._file_lock import try_lock, unlock
from store.runs import RunId

FORECAST_ROW_COLUMNS = ["trust_code", "date", "horizon", "point", "lo80", "hi80", "lo95", "hi95"]
TRUST_ROW_SCHEMA: dict[str, pl.DataType] = {
    "trust_code": pl.String(), "model": pl.String(), "model_version": pl.String(),
    "status": pl.String(), "reason": pl.String(), "data_to": pl.Date(),
}
TRUST_ROW_COLUMNS = list(TRUST_ROW_SCHEMA)
BATCH_LOCK = 7_412_003  # pg_advisory_lock key (with the schema's hash) held for a whole run
LOCK_WAIT_S = 10.0  # a batch just killed may hold the lock until its server session notices


class BatchBusyError(ForecastError):
    """Another batch is running against the same database."""

    code = "batch_busy"


class RunLostError(ForecastError):
    """The run's 'running' record vanished or changed under us: another batch took over."""

    code = "run_lost"


class VersionRecord(Protocol):
    """What the store records of a model artefact (the registry's ModelVersion is one)."""

    @property
    def version_id(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def trained_from(self) -> date: ...
    @property
    def trained_until(self) -> date: ...
    @property
    def data_fingerprint(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def metadata(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class RunRows:
    """What a run stores besides its record: the forecasts and how each trust was served;
    the drivers and (for a hierarchical run) the nodes (node_code, level, parent_code)."""

    forecasts: pl.DataFrame
    trusts: pl.DataFrame
    drivers: pl.DataFrame | None = None
    nodes: pl.DataFrame | None = None


def new_run_id(now: datetime | None = None) -> RunId:
    """Sortable by creation time, unique without coordination: 20241202T023001Z-3f9a1c2b."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


class RunLog:
    """The forecast runs of one store as a batch writes them: lock, begin, complete or fail."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @contextmanager
    def lock(self, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
        """One batch per database (per schema on PostgreSQL) at a time, waiting up to
        `wait_s` for the lock; it dies with the process, even on SIGKILL.

        PostgreSQL: a session advisory lock keyed by the schema, on a connection held open for
        the run. SQLite: an exclusive lock on `<database>.batch-lock` beside the database file
        (flock on POSIX, msvcrt.locking on Windows: `store._file_lock`).
        """
        store = self.store
        store.ping()
        busy = BatchBusyError(f"another `aeforecast batch` is running against {store.url}")
        if store.dialect == "postgresql":
            with store.engine.connect() as raw:
                conn = raw.execution_options(isolation_level="AUTOCOMMIT")
                key = {"k": BATCH_LOCK}
                take = sa.text("SELECT pg_try_advisory_lock(:k, hashtext(current_schema()))")
                if not _retry(lambda: bool(conn.scalar(take, key)), wait_s):
                    raise busy
                try:
                    yield
                finally:
                    conn.execute(
                        sa.text("SELECT pg_advisory_unlock(:k, hashtext(current_schema()))"), key)
            return
        database = store.engine.url.database
        if not database or database == ":memory:":
            yield
            return
        with Path(database + ".batch-lock").open("a+") as handle:
            if not _retry(lambda: try_lock(handle), wait_s):
                raise busy
            try:
                yield
            finally:
                unlock(handle)

    def find_complete(
        self, as_of: date, fingerprint: str, model: str, horizon: int,
        target: Target = DEFAULT_TARGET,
    ) -> RunId | None:
        """The complete run already made from the same data, model, horizon and target."""
        runs = t.forecast_runs
        stmt = sa.select(runs.c.run_id).where(
            runs.c.status == "complete",
            runs.c.target == target,
            runs.c.as_of == as_of,
            runs.c.data_fingerprint == fingerprint,
            runs.c.model == model,
            runs.c.horizon == horizon,
        )
        with self.store.transaction(write=False) as conn:
            return conn.scalar(stmt)

    def abandon_running(self) -> list[RunId]:
        """Mark runs left 'running' by a dead batch as 'failed'; returns their ids."""
        runs = t.forecast_runs
        with self.store.transaction() as conn:
            stale = list(conn.scalars(sa.select(runs.c.run_id).where(runs.c.status == "running")))
            for run_id in stale:
                _set_failed(conn, run_id, "abandoned: the batch stopped before completing the run")
        return stale

    def begin(
        self, *, as_of: date, horizon: int, model: str, fingerprint: str,
        metadata: dict[str, Any] | None = None, target: Target = DEFAULT_TARGET,
    ) -> RunId:
        run_id = new_run_id()
        with self.store.transaction() as conn:
            conn.execute(
                sa.insert(t.forecast_runs).values(
                    run_id=run_id, as_of=as_of, horizon=horizon, created_at=datetime.now(UTC),
                    status="running", model=model, data_fingerprint=fingerprint, target=target,
                    metadata=json.dumps(metadata or {}, default=str),
                )
            )
        return run_id

    def complete(
        self, run_id: RunId, rows: RunRows, metadata: dict[str, Any],
        model_version: VersionRecord | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """All rows, the model version's record and the flip to 'complete', in one
        transaction. `before_commit` runs inside it, last (the kill tests pause there)."""
        runs = t.forecast_runs
        forecast_rows = rows.forecasts.select(FORECAST_ROW_COLUMNS).with_columns(
            run_id=pl.lit(run_id))
        trusts = rows.trusts
        if "data_to" not in trusts.columns:  # a caller that does not know each trust's data end
            trusts = trusts.with_columns(data_to=pl.lit(None, dtype=pl.Date()))
        trust_rows = trusts.select(TRUST_ROW_COLUMNS).with_columns(run_id=pl.lit(run_id))
        with self.store.transaction() as conn:
            if model_version is not None:
                _record_version(conn, model_version)
            conn.execute(sa.insert(t.run_trusts), trust_rows.to_dicts())
            conn.execute(sa.insert(t.run_forecasts), forecast_rows.to_dicts())
            if rows.drivers is not None and not rows.drivers.is_empty():
                driver_rows = rows.drivers.select("trust_code", "date", *t.DRIVER_FAMILIES)
                conn.execute(sa.insert(t.run_drivers),
                             driver_rows.with_columns(run_id=pl.lit(run_id)).to_dicts())
            if rows.nodes is not None and rows.nodes.height:
                conn.execute(sa.insert(t.run_nodes), rows.nodes.select(
                    "node_code", "level", "parent_code").with_columns(
                        run_id=pl.lit(run_id)).to_dicts())
            if before_commit is not None:
                before_commit()
            flipped = conn.execute(
                sa.update(runs)
                .where(runs.c.run_id == run_id, runs.c.status == "running")
                .values(
                    status="complete", completed_at=datetime.now(UTC),
                    metadata=json.dumps(metadata, default=str),
                )
            )
            if flipped.rowcount != 1:
                raise RunLostError(f"forecast run {run_id} is no longer 'running'; nothing stored")

    def mark_versions_removed(self, version_ids: list[str]) -> None:
        """Retention deleted these artefacts; their records stay, for the runs that cite them."""
        if not version_ids:
            return
        mv = t.model_versions
        with self.store.transaction() as conn:
            conn.execute(
                sa.update(mv).where(mv.c.version_id.in_(version_ids), mv.c.removed_at.is_(None))
                .values(removed_at=datetime.now(UTC))
            )

    def fail(self, run_id: RunId, reason: str) -> None:
        with self.store.transaction() as conn:
            _set_failed(conn, run_id, reason)


def _retry(attempt: Callable[[], bool], wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.25)
    return True


def _set_failed(conn: sa.Connection, run_id: RunId, reason: str) -> None:
    runs = t.forecast_runs
    current = conn.scalar(sa.select(runs.c.metadata).where(runs.c.run_id == run_id))
    meta = json.loads(current or "{}")
    meta["failure"] = reason
    conn.execute(
        sa.update(runs)
        .where(runs.c.run_id == run_id, runs.c.status == "running")
        .values(status="failed", completed_at=datetime.now(UTC), metadata=json.dumps(meta))
    )


def _record_version(conn: sa.Connection, version: VersionRecord) -> None:
    mv = t.model_versions
    if conn.scalar(sa.select(mv.c.version_id).where(mv.c.version_id == version.version_id)):
        return
    conn.execute(
        sa.insert(mv).values(
            version_id=version.version_id, model=version.model, created_at=version.created_at,
            trained_from=version.trained_from, trained_until=version.trained_until,
            data_fingerprint=version.data_fingerprint, path=str(version.path),
            metadata=json.dumps(version.metadata, default=str),
        )
    )
