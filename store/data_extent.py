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
