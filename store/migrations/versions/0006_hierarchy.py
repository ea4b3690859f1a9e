"""The organisational hierarchy (site -> trust -> ICS -> region -> nation) and each run's nodes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

`hierarchy` holds the mapping as ingested (one row per site, or per trust without sites; the
row's own code is its key). `run_nodes` records, per forecast run, every node the run forecast
with its level and parent, so a run stays readable whatever the mapping becomes later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "hierarchy",
        sa.Column("row_code", sa.String(5), primary_key=True),  # site_code, else trust_code
        sa.Column("site_code", sa.String(5), nullable=True),
        sa.Column("trust_code", sa.String(5), nullable=False),
        sa.Column("ics_code", sa.String(5), nullable=False),
        sa.Column("region", sa.String(5), nullable=False),
        sa.Column("nation", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "run_nodes",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("forecast_runs.run_id"),
                  primary_key=True),
        sa.Column("node_code", sa.String(5), primary_key=True),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("parent_code", sa.String(5), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("run_nodes")
    op.drop_table("hierarchy")
