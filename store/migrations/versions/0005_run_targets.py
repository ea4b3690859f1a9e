"""Forecast runs carry their target: attendances (every existing run) or admissions.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Each target gets runs of its own, so a run's rows stay one kind of count and the idempotency
index keys on the target too (the same data feeds both targets' runs).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_COMPLETE = sa.text("status = 'complete'")
_UNIQUE = "uq_forecast_runs_complete"


def upgrade() -> None:
    op.drop_index(_UNIQUE, table_name="forecast_runs")
    op.add_column("forecast_runs", sa.Column("target", sa.String(16), nullable=False,
                                             server_default="attendances"))
    op.create_index(_UNIQUE, "forecast_runs", ["target", "as_of", "data_fingerprint", "model",
                                               "horizon"], unique=True,
                    sqlite_where=_COMPLETE, postgresql_where=_COMPLETE)


def downgrade() -> None:
    op.drop_index(_UNIQUE, table_name="forecast_runs")
    others = "SELECT run_id FROM forecast_runs WHERE target <> 'attendances'"
    for table in ("run_forecasts", "run_trusts"):
        op.execute(f"DELETE FROM {table} WHERE run_id IN ({others})")
    op.execute("DELETE FROM forecast_runs WHERE target <> 'attendances'")
    with op.batch_alter_table("forecast_runs") as batch:
        batch.drop_column("target")
    op.create_index(_UNIQUE, "forecast_runs", ["as_of", "data_fingerprint", "model", "horizon"],
                    unique=True, sqlite_where=_COMPLETE, postgresql_where=_COMPLETE)
