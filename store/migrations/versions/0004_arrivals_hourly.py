"""Hourly arrivals: the optional input behind the hour-by-hour forecast.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Keyed by the hour's start in UTC (unambiguous across the clock changes); the trust's local
weekday-by-hour profile is computed from it when asked for. The primary key's index serves the
one read there is: one trust's latest weeks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "arrivals_hourly",
        sa.Column("trust_code", sa.String(5), nullable=False),
        sa.Column("hour_start_utc", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arrivals", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trust_code", "hour_start_utc", name="pk_arrivals_hourly"),
    )


def downgrade() -> None:
    op.drop_table("arrivals_hourly")
