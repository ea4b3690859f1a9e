"""Capacity thresholds per trust, and each served day's forecast drivers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

`trust_thresholds`: a trust's named capacity thresholds (attendances a day), set through the
API (admin) or loaded from a TOML file (`aeforecast thresholds load`). `run_drivers`: per run,
trust and day, the attendances each driver family adds to the point forecast; they sum to the
point. A family a model does not have (seasonal naive has no temperature) is null.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

FAMILIES = ("weekday", "season", "bank_holiday", "temperature", "recent_level", "trend",
            "flu_momentum", "other")


def upgrade() -> None:
    op.create_table(
        "trust_thresholds",
        sa.Column("trust_code", sa.String(5), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("attendances", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trust_code", "name", name="pk_trust_thresholds"),
        sa.CheckConstraint("attendances >= 0", name="ck_trust_thresholds_attendances"),
        sa.CheckConstraint("source IN ('api', 'file')", name="ck_trust_thresholds_source"),
    )
    op.create_table(
        "run_drivers",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("trust_code", sa.String(5), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        *[sa.Column(family, sa.Float(), nullable=True) for family in FAMILIES],
        sa.PrimaryKeyConstraint("run_id", "trust_code", "date", name="pk_run_drivers"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.run_id"], ondelete="CASCADE", name="fk_run_drivers_run"
        ),
    )


def downgrade() -> None:
    op.drop_table("run_drivers")
    op.drop_table("trust_thresholds")
