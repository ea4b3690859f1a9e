"""Live accuracy: the forecasts we served, scored against the actuals as they arrive.

For each trust and horizon h, over the target days of the last `WINDOW_DAYS` (28) that have an
actual: the forecast is the one served for that day at that horizon, i.e. from the complete run
whose as-of date is the day minus h (the latest-completed one if several). We keep n, MAE and
the share of actuals inside the 80% and 95% intervals.

The expected MAE, the yardstick for drift, comes from the served model's holdout skill stored
with each run, or from the run's own interval width where there is none (see expectation.py;
`expected_source` says which). A trust and horizon drifts when its live MAE exceeds 1.5 x the
expected with at least 14 days scored.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import polars as pl
import sqlalchemy as sa

from forecast.expectation import Expectation
from forecast.live_accuracy import WINDOW_DAYS, score
from store import Store
from store import _tables as t

MAX_HORIZON_DAYS = 366  # the longest horizon `aeforecast batch` accepts
SERVED_SCHEMA: dict[str, pl.DataType] = {
    "run_id": pl.String(), "trust_code": pl.String(), "date": pl.Date(), "horizon": pl.Int32(),
    "point": pl.Float64(), "lo80": pl.Float64(), "hi80": pl.Float64(), "lo95": pl.Float64(),
    "hi95": pl.Float64(),
}


def update_live_accuracy(
    store: Store, as_of: date | None = None, trusts: list[str] | None = None
) -> int:
    """Recompute live accuracy for the window ending `as_of` (default: the newest actual),
    for `trusts` (default all), replacing their rows; returns the rows stored."""
    end = as_of or _newest_actual(store)
    if end is None:
        return 0
    start = end - timedelta(days=WINDOW_DAYS - 1)
    runs = _served_runs(store, start, end)
    if not runs:
        return 0
    served = _served_forecasts(store, runs, start, end, trusts)
    actuals = store.read_attendances(trusts, start, end).select("trust_code", "date", "attendances")
    scored = score(served.join(actuals, on=["trust_code", "date"]), runs)
    _replace(store, scored.with_columns(window_start=pl.lit(start), window_end=pl.lit(end)),
             trusts)
    return scored.height


def _served_runs(store: Store, start: date, end: date) -> dict[str, Expectation]:
    """run_id -> its expectation, for the run served at each as-of date that can have
    forecast a day in start..end (the latest-completed complete run of that as-of)."""
    r = t.forecast_runs
    stmt = (
        sa.select(r.c.run_id, r.c.as_of, r.c.horizon, r.c.metadata)
        .where(r.c.status == "complete", r.c.as_of < end,
               r.c.as_of >= start - timedelta(days=MAX_HORIZON_DAYS))
        .order_by(r.c.as_of, r.c.completed_at, r.c.run_id)
    )
    served: dict[date, tuple[str, Expectation]] = {}
    with store.transaction(write=False) as conn:
        for run_id, as_of, horizon, metadata in conn.execute(stmt):
            if as_of + timedelta(days=horizon) >= start:  # later rows replace earlier ones
                doc = json.loads(metadata or "{}").get("expected_mae")
                served[as_of] = (run_id, Expectation.from_json(doc))
    return dict(served.values())


def _served_forecasts(store: Store, runs: dict[str, Expectation], start: date, end: date,
                      trusts: list[str] | None) -> pl.DataFrame:
    f = t.run_forecasts
    stmt = sa.select(*(f.c[name] for name in SERVED_SCHEMA)).where(
        f.c.run_id.in_(list(runs)), f.c.date.between(start, end))
    if trusts is not None:
        stmt = stmt.where(f.c.trust_code.in_(trusts))
    with store.transaction(write=False) as conn:
        rows = [tuple(row) for row in conn.execute(stmt)]
    return pl.DataFrame(rows, schema=SERVED_SCHEMA, orient="row")


def _replace(store: Store, scored: pl.DataFrame, trusts: list[str] | None) -> None:
    la = t.live_accuracy
    now = datetime.now(UTC)
    records = scored.select(
        "trust_code", "horizon", "window_start", "window_end", "n", "mae", "coverage80",
        "coverage95", "expected_mae", "expected_source", "drift",
    ).with_columns(updated_at=pl.lit(now)).to_dicts()
    with store.transaction() as conn:
        delete = sa.delete(la)
        if trusts is not None:
            delete = delete.where(la.c.trust_code.in_(trusts))
        conn.execute(delete)
        if records:
            conn.execute(sa.insert(la), records)


def _newest_actual(store: Store) -> date | None:
    with store.transaction(write=False) as conn:
        newest = conn.scalar(sa.select(sa.func.max(t.attendances.c.date)))
    if isinstance(newest, str):  # SQLite without column type information in an aggregate
        return date.fromisoformat(newest)
    return newest if isinstance(newest, date) else None
