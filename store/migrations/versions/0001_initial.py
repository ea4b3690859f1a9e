"""Trusts, attendances, temperatures and the ingest audit trail.

Revision ID: 0001
Revises:
Create Date: 2024-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "trusts",
        sa.Column("trust_code", sa.String(5), primary_key=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nation", sa.String(32), nullable=False, server_default="England"),
    )
    op.create_table(
        "attendances",
        # No foreign key to trusts: the store registers trusts in the same transaction,
        # and a per-row check costs a third of a bulk load on PostgreSQL.
        sa.Column("trust_code", sa.String(5), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("attendances", sa.Integer(), nullable=False),
        sa.Column("admissions", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trust_code", "date", name="pk_attendances"),
        sa.CheckConstraint("attendances >= 0", name="ck_attendances_nonnegative"),
        sa.CheckConstraint("admissions >= 0", name="ck_admissions_nonnegative"),
    )
    op.create_table(
        "temperatures",
        sa.Column("trust_code", sa.String(5), nullable=False),  # may arrive before the trust
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("temperature_c", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trust_code", "date", name="pk_temperatures"),
    )
    op.create_table(
        "ingests",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("ingests", "temperatures", "attendances", "trusts"):
        op.drop_table(table)
