"""How far the stored data reaches: the default as-of of a batch."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from store import Store
from store import _tables as t


def newest_data_day(store: Store) -> date | None:
    """The newest day any trust has attendances for; None when none are stored. A nightly
    run with data through yesterday forecasts from today; an old store is forecast from where
    its data ends (and the API flags it stale), never from the calendar's today."""
    a = t.attendances
    with store.transaction(write=False) as conn:
        newest = conn.scalar(sa.select(sa.func.max(a.c.date)))
    if isinstance(newest, str):  # SQLite hands aggregate dates back as text
        return date.fromisoformat(newest)
    return newest if isinstance(newest, date) else None


def busiest_days(store: Store, trusts: list[str] | None = None) -> dict[str, int]:
    """Each trust's busiest stored day (attendances or admissions, whichever is larger): the
    base of the plausibility bound on new counts (the schema must exist: `Store.exists`)."""
    a = t.attendances
    busiest = sa.func.max(sa.func.max(a.c.attendances, sa.func.coalesce(a.c.admissions, 0))
                          if store.dialect == "sqlite" else
                          sa.func.greatest(a.c.attendances, sa.func.coalesce(a.c.admissions, 0)))
    stmt = sa.select(a.c.trust_code, busiest).group_by(a.c.trust_code)
    if trusts is not None:
        stmt = stmt.where(a.c.trust_code.in_(trusts))
    with store.transaction(write=False) as conn:
        return {code: int(value) for code, value in conn.execute(stmt) if value is not None}
