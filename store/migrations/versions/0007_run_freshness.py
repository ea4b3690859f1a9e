"""Each run says how fresh its data was, and a run can be withdrawn or chosen to be served.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

`run_trusts.data_to`: the last actual the run used for that trust (null for runs made before
this migration, and for a node without its own series). `forecast_runs.withdrawn_at` and
`withdrawn_reason`: `aeforecast runs withdraw` took the run out of service. `served_at`:
`aeforecast runs serve` chose the run to be served until a run completes after that moment.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("run_trusts") as batch:
        batch.add_column(sa.Column("data_to", sa.Date(), nullable=True))
        batch.drop_constraint("ck_run_trusts_status", type_="check")
        batch.create_check_constraint("ck_run_trusts_status",
                                      "status IN ('ok', 'fallback', 'stale')")
    with op.batch_alter_table("forecast_runs") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("served_at", sa.DateTime(timezone=True), nullable=True))
        batch.drop_constraint("ck_forecast_runs_status", type_="check")
        batch.create_check_constraint(
            "ck_forecast_runs_status", "status IN ('running', 'complete', 'failed', 'withdrawn')")


def downgrade() -> None:
    op.execute("UPDATE forecast_runs SET status = 'failed' WHERE status = 'withdrawn'")
    op.execute("UPDATE run_trusts SET status = 'fallback' WHERE status = 'stale'")
    with op.batch_alter_table("forecast_runs") as batch:
        batch.drop_constraint("ck_forecast_runs_status", type_="check")
        batch.create_check_constraint("ck_forecast_runs_status",
                                      "status IN ('running', 'complete', 'failed')")
        batch.drop_column("served_at")
        batch.drop_column("withdrawn_reason")
        batch.drop_column("withdrawn_at")
    with op.batch_alter_table("run_trusts") as batch:
        batch.drop_constraint("ck_run_trusts_status", type_="check")
        batch.create_check_constraint("ck_run_trusts_status", "status IN ('ok', 'fallback')")
        batch.drop_column("data_to")
