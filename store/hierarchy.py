"""Storing the hierarchy mapping: replaced whole by each ingest, read by the batch."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import sqlalchemy as sa

from contract.hierarchy import HIERARCHY_COLUMNS
from store import Store
from store import _tables as t


def replace_hierarchy(store: Store, mapping: pl.DataFrame) -> int:
    """The clean mapping (`contract.hierarchy`) replaces the stored one, in one
    transaction; returns how many rows changed (0 when the same mapping is ingested again)."""
    stored = read_hierarchy(store)
    if stored is not None and _sorted(stored).equals(_sorted(mapping)):
        return 0
    now = datetime.now(UTC)
    rows = [{**row, "row_code": row["site_code"] or row["trust_code"], "updated_at": now}
            for row in mapping.select(HIERARCHY_COLUMNS).iter_rows(named=True)]
    with store.transaction() as conn:
        conn.execute(sa.delete(t.hierarchy))
        conn.execute(sa.insert(t.hierarchy), rows)
    return len(rows)


def read_hierarchy(store: Store) -> pl.DataFrame | None:
    """The stored mapping, or None when none was ingested."""
    h = t.hierarchy
    with store.transaction(write=False) as conn:
        rows = conn.execute(sa.select(*(h.c[c] for c in HIERARCHY_COLUMNS))).all()
    if not rows:
        return None
    return pl.DataFrame([tuple(r) for r in rows], schema={c: pl.String for c in HIERARCHY_COLUMNS},
                        orient="row").sort("trust_code", "site_code")


def _sorted(mapping: pl.DataFrame) -> pl.DataFrame:
    return mapping.select(HIERARCHY_COLUMNS).sort(HIERARCHY_COLUMNS, nulls_last=True)
