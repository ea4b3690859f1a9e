"""Reading forecast runs: what the API serves. Only complete runs are ever visible here.

A run becomes complete in the same transaction that writes its rows, so a reader sees either
the previous complete run or the new one, whole. Runs are never rewritten once complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeAlias

import polars as pl
import sqlalchemy as sa

from contract.errors import NotFoundError
from forecast.protocol import FORECAST_SCHEMA
from forecast.targets import DEFAULT_TARGET, Target, parse_target
from store import Store
from store import _tables as t

RunId: TypeAlias = str

# A served forecast day: the model's columns without the keys a run already fixes.
FORECAST_DAY_SCHEMA: dict[str, pl.DataType] = {
    **{k: v for k, v in FORECAST_SCHEMA.items() if k not in ("trust_code", "origin")},
    "model_version": pl.String(),
}
RUN_TRUST_SCHEMA: dict[str, pl.DataType] = {
    "trust_code": pl.String(),
    "model": pl.String(),
    "model_version": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "data_to": pl.Date(),
}
LIVE_ACCURACY_SCHEMA: dict[str, pl.DataType] = {
    "trust_code": pl.String(),
    "horizon": pl.Int32(),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "n": pl.Int64(),
    "mae": pl.Float64(),
    "coverage80": pl.Float64(),
    "coverage95": pl.Float64(),
    "expected_mae": pl.Float64(),
    "expected_source": pl.String(),
    "drift": pl.Boolean(),
    "updated_at": pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class RunInfo:
    """A complete forecast run. `model_versions`: the distinct artefact versions it used."""

    run_id: RunId
    as_of: date
    horizon: int
    created_at: datetime
    completed_at: datetime
    model: str
    model_versions: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    target: Target = DEFAULT_TARGET


def latest_complete_run(store: Store, target: Target = DEFAULT_TARGET) -> RunInfo | None:
    """The run the service serves for `target` (`served_run_id`); None if none."""
    runs = t.forecast_runs
    with store.transaction(write=False) as conn:
        run_id = served_run_id(conn, target)
        if run_id is None:
            return None
        row = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).mappings().one()
        return _run_info(conn, row)


def served_run_id(conn: sa.Connection, target: Target) -> RunId | None:
    """The one rule for which run is served, among complete runs of `target` (a withdrawn run
    is no longer complete): the run chosen by `aeforecast runs serve`, until a run completes
    after that choice; otherwise the newest as-of, then the newest completion. A run for an
    older as-of made later is therefore served only when chosen, never silently."""
    runs = t.forecast_runs
    complete = sa.and_(runs.c.status == "complete", runs.c.target == target)
    chosen = conn.execute(
        sa.select(runs.c.run_id, runs.c.served_at).where(complete, runs.c.served_at.is_not(None))
        .order_by(runs.c.served_at.desc()).limit(1)).first()
    if chosen is not None:
        newer = conn.scalar(sa.select(runs.c.run_id).where(
            complete, runs.c.completed_at > chosen.served_at).limit(1))
        if newer is None:
            return str(chosen.run_id)
    run_id = conn.scalar(
        sa.select(runs.c.run_id).where(complete)
        .order_by(runs.c.as_of.desc(), runs.c.completed_at.desc(), runs.c.run_id.desc())
        .limit(1))
    return None if run_id is None else str(run_id)


def get_run(store: Store, run_id: RunId) -> RunInfo:
    """One complete run by id; NotFoundError for an unknown or unfinished run."""
    runs = t.forecast_runs
    stmt = sa.select(runs).where(runs.c.run_id == run_id, runs.c.status == "complete")
    with store.transaction(write=False) as conn:
        row = conn.execute(stmt).mappings().first()
        if row is None:
            raise NotFoundError(f"no complete forecast run '{run_id}'")
        return _run_info(conn, row)


def read_run_forecast(
    store: Store, run_id: RunId, trust_code: str, start: date, days: int
) -> pl.DataFrame:
    """FORECAST_DAY_SCHEMA rows of one trust for dates start .. start+days-1 (fewer where the
    run's horizon ends), sorted by date; empty for an unfinished run or a trust not in it."""
    f, rt, runs = t.run_forecasts, t.run_trusts, t.forecast_runs
    stmt = (
        sa.select(
            f.c.date, f.c.horizon, f.c.point, f.c.lo80, f.c.hi80, f.c.lo95, f.c.hi95,
            rt.c.model_version,
        )
        .join(runs, runs.c.run_id == f.c.run_id)
        .join(rt, sa.and_(rt.c.run_id == f.c.run_id, rt.c.trust_code == f.c.trust_code))
        .where(
            f.c.run_id == run_id,
            f.c.trust_code == trust_code,
            runs.c.status == "complete",
            f.c.date >= start,
            f.c.date < start + timedelta(days=max(days, 0)),
        )
        .order_by(f.c.date)
    )
    with store.transaction(write=False) as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    return pl.DataFrame(rows, schema=FORECAST_DAY_SCHEMA, orient="row")


def run_trusts(store: Store, run_id: RunId) -> pl.DataFrame:
    """RUN_TRUST_SCHEMA: every trust of a complete run, how it was served; sorted by trust."""
    rt, runs = t.run_trusts, t.forecast_runs
    stmt = (
        sa.select(rt.c.trust_code, rt.c.model, rt.c.model_version, rt.c.status, rt.c.reason,
                  rt.c.data_to)
        .join(runs, runs.c.run_id == rt.c.run_id)
        .where(rt.c.run_id == run_id, runs.c.status == "complete")
        .order_by(rt.c.trust_code)
    )
    with store.transaction(write=False) as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    return pl.DataFrame(rows, schema=RUN_TRUST_SCHEMA, orient="row")


def read_live_accuracy(store: Store, trust_code: str | None = None) -> pl.DataFrame:
    """LIVE_ACCURACY_SCHEMA, one row per trust and horizon (one trust, or all), sorted."""
    la = t.live_accuracy
    stmt = sa.select(*(la.c[name] for name in LIVE_ACCURACY_SCHEMA))
    if trust_code is not None:
        stmt = stmt.where(la.c.trust_code == trust_code)
    with store.transaction(write=False) as conn:
        rows = [tuple(r) for r in conn.execute(stmt.order_by(la.c.trust_code, la.c.horizon))]
    frame = pl.DataFrame(
        [(*r[:-1], as_utc(r[-1])) for r in rows], schema=LIVE_ACCURACY_SCHEMA, orient="row"
    )
    return frame


def as_utc(stamp: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _run_info(conn: sa.Connection, row: sa.RowMapping) -> RunInfo:
    rt = t.run_trusts
    versions = conn.scalars(
        sa.select(rt.c.model_version)
        .where(rt.c.run_id == row["run_id"], rt.c.model_version.is_not(None))
        .distinct()
        .order_by(rt.c.model_version)
    )
    return RunInfo(
        run_id=row["run_id"],
        as_of=row["as_of"],
        horizon=int(row["horizon"]),
        created_at=as_utc(row["created_at"]),
        completed_at=as_utc(row["completed_at"]),
        model=row["model"],
        model_versions=tuple(v for v in versions if v is not None),
        metadata=json.loads(row["metadata"] or "{}"),
        target=parse_target(row["target"]),
    )
