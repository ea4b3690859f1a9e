"""Operators' hold on runs: list them, withdraw a bad one, choose which one is served.

Each change is one UPDATE in one transaction, so the API (which asks `store.runs.served_run_id`
on every refresh) switches from one whole run to another whole run, never to a mix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from contract.errors import InputError, NotFoundError
from forecast.targets import DEFAULT_TARGET, TARGETS
from store import Store
from store import _tables as t
from store.runs import RunId, as_utc, served_run_id


@dataclass(frozen=True)
class RunSummary:
    """One run as `aeforecast runs list` shows it."""

    run_id: RunId
    target: str
    as_of: date
    created_at: datetime
    status: str  # running, complete, failed, withdrawn
    trusts: int
    fallbacks: int
    stale: int  # trusts left out because their data was too old
    data_to: date | None  # the newest last actual of its trusts
    served: bool  # the run the API serves for its target now
    note: str  # why it failed or was withdrawn, or that it was chosen with `runs serve`


def list_runs(store: Store, limit: int = 20) -> list[RunSummary]:
    """The newest `limit` runs of every target, newest first."""
    runs, rt = t.forecast_runs, t.run_trusts
    counts = (
        sa.select(
            rt.c.run_id,
            sa.func.count().label("trusts"),
            sa.func.sum(sa.case((rt.c.status == "fallback", 1), else_=0)).label("fallbacks"),
            sa.func.sum(sa.case((rt.c.status == "stale", 1), else_=0)).label("stale"),
            sa.func.max(rt.c.data_to).label("data_to"),
        ).group_by(rt.c.run_id).subquery()
    )
    stmt = (
        sa.select(runs, counts.c.trusts, counts.c.fallbacks, counts.c.stale, counts.c.data_to)
        .outerjoin(counts, counts.c.run_id == runs.c.run_id)
        .order_by(runs.c.created_at.desc(), runs.c.run_id.desc()).limit(limit)
    )
    with store.transaction(write=False) as conn:
        served = {served_run_id(conn, target) for target in TARGETS}
        rows = conn.execute(stmt).mappings().all()
    return [_summary(row, row["run_id"] in served) for row in rows]


def withdraw_run(store: Store, run_id: RunId, reason: str) -> None:
    """Take a complete run out of service for good, recording when and why; the API then
    serves the run it would have served had this one never existed."""
    reason = reason.strip()
    if not reason:
        raise InputError("--reason: say why the run is withdrawn (it is recorded with the run)")
    runs = t.forecast_runs
    with store.transaction() as conn:
        status = _status(conn, run_id)
        if status != "complete":
            raise InputError(f"run {run_id} is {status}: only a complete run can be withdrawn")
        conn.execute(sa.update(runs).where(runs.c.run_id == run_id).values(
            status="withdrawn", withdrawn_at=datetime.now(UTC), withdrawn_reason=reason))


def serve_run(store: Store, run_id: RunId) -> None:
    """Serve this complete run from now on, until a run completes after this moment (the next
    night's batch), whatever its as-of: how an older as-of made later is ever served."""
    runs = t.forecast_runs
    with store.transaction() as conn:
        status = _status(conn, run_id)
        if status != "complete":
            raise InputError(f"run {run_id} is {status}: only a complete run can be served")
        conn.execute(sa.update(runs).where(runs.c.run_id == run_id).values(
            served_at=datetime.now(UTC)))


def _status(conn: sa.Connection, run_id: RunId) -> str:
    runs = t.forecast_runs
    status = conn.scalar(sa.select(runs.c.status).where(runs.c.run_id == run_id))
    if status is None:
        raise NotFoundError(f"no forecast run '{run_id}' (see `aeforecast runs list`)")
    return str(status)


def _summary(row: sa.RowMapping, served: bool) -> RunSummary:
    metadata = json.loads(row["metadata"] or "{}")
    note = ""
    if row["status"] == "withdrawn":
        note = f"withdrawn {as_utc(row['withdrawn_at']):%Y-%m-%d %H:%M}Z: {row['withdrawn_reason']}"
    elif row["status"] == "failed":
        note = str(metadata.get("failure", ""))
    elif row["served_at"] is not None:
        note = f"chosen to be served {as_utc(row['served_at']):%Y-%m-%d %H:%M}Z"
    data_to = row["data_to"]
    return RunSummary(
        run_id=row["run_id"], target=row["target"] or DEFAULT_TARGET, as_of=row["as_of"],
        created_at=as_utc(row["created_at"]), status=row["status"],
        trusts=int(row["trusts"] or 0), fallbacks=int(row["fallbacks"] or 0),
        stale=int(row["stale"] or 0),
        data_to=date.fromisoformat(data_to) if isinstance(data_to, str) else data_to,
        served=served, note=note,
    )


