"""What the API reads to serve a run: cheap change checks, and a whole run's rows at once.

The API keeps the served run in memory and asks often whether it changed, so the check is two
one-row queries in one transaction; the rows themselves are read once per run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from forecast.targets import Target
from store import Store
from store import _tables as t
from store.runs import RunId, served_run_id

DAY_FIELDS = ("point", "lo80", "hi80", "lo95", "hi95")
ServedDayRow = tuple[str, date, tuple[float, ...]]  # trust, date, DAY_FIELDS


@dataclass(frozen=True)
class ServedTrustRow:
    """How one trust was served in a run."""

    model: str
    model_version: str | None
    status: str  # ok, fallback, or stale (left out: no days)
    reason: str | None = None
    data_to: date | None = None  # the last actual used; None for runs made before 0007


@dataclass(frozen=True)
class ServedVersion:
    """Enough to tell whether the served run or the set of trusts changed."""

    run_id: RunId | None
    n_trusts: int


def served_version(store: Store, target: Target) -> ServedVersion:
    """The run the service serves for `target` (`store.runs.served_run_id`)
    and how many trusts are known (they are never deleted, so the count tells)."""
    with store.transaction(write=False) as conn:
        run_id = served_run_id(conn, target)
        n_trusts = conn.execute(sa.select(sa.func.count()).select_from(t.trusts)).scalar()
    return ServedVersion(run_id, int(n_trusts or 0))


def run_days(store: Store, run_id: RunId) -> tuple[dict[str, ServedTrustRow], list[ServedDayRow]]:
    """Every trust of a run, how it was served, and its days (by trust, then date), in two
    queries."""
    rt, f = t.run_trusts, t.run_forecasts
    with store.transaction(write=False) as conn:
        served = {
            code: ServedTrustRow(model, version, status, reason,
                                 None if data_to is None else _as_date(data_to))
            for code, model, version, status, reason, data_to in conn.execute(
                sa.select(rt.c.trust_code, rt.c.model, rt.c.model_version, rt.c.status,
                          rt.c.reason, rt.c.data_to)
                .where(rt.c.run_id == run_id))
        }
        rows = conn.execute(
            sa.select(f.c.trust_code, f.c.date, *(f.c[name] for name in DAY_FIELDS))
            .where(f.c.run_id == run_id)
            .order_by(f.c.trust_code, f.c.date)
        )
        days = [(code, _as_date(day), tuple(values)) for code, day, *values in rows]
    return served, days


def run_nodes(store: Store, run_id: RunId) -> list[tuple[str, str, str | None]]:
    """The run's hierarchy as (node_code, level, parent_code); empty for a run without one."""
    n = t.run_nodes
    with store.transaction(write=False) as conn:
        rows = conn.execute(
            sa.select(n.c.node_code, n.c.level, n.c.parent_code).where(n.c.run_id == run_id))
        return [(code, level, parent) for code, level, parent in rows]


def run_drivers(store: Store, run_id: RunId) -> dict[str, dict[date, dict[str, float]]]:
    """trust -> day -> driver family -> attendances, for the families each day has."""
    d = t.run_drivers
    families = t.DRIVER_FAMILIES
    stmt = sa.select(d.c.trust_code, d.c.date, *(d.c[f] for f in families)).where(
        d.c.run_id == run_id)
    out: dict[str, dict[date, dict[str, float]]] = {}
    with store.transaction(write=False) as conn:
        for code, day, *values in conn.execute(stmt):
            out.setdefault(code, {})[_as_date(day)] = {
                f: float(v) for f, v in zip(families, values, strict=True) if v is not None}
    return out


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
