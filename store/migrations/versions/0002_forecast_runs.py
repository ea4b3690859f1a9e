"""Model versions, forecast runs and their rows, live accuracy, API keys.

Revision ID: 0002
Revises: 0001
Create Date: 2024-12-02

A forecast run becomes visible by one UPDATE of its status to 'complete' in the same transaction
that writes its rows, so readers filter on status and never see half a run. Idempotency is a
unique index over *complete* runs only: a killed or failed attempt stays on record ('failed')
without blocking the rerun.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_COMPLETE = sa.text("status = 'complete'")


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("version_id", sa.String(64), primary_key=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_from", sa.Date(), nullable=False),
        sa.Column("trained_until", sa.Date(), nullable=False),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_model_versions_model_created", "model_versions", ["model", "created_at"])
    op.create_table(
        "forecast_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("data_fingerprint", sa.String(64), nullable=False),
        sa.Column("metadata", sa.Text(), nullable=False, server_default="{}"),
        sa.CheckConstraint(
            "status IN ('running', 'complete', 'failed')", name="ck_forecast_runs_status"
        ),
    )
    op.create_index(
        "uq_forecast_runs_complete",
        "forecast_runs",
        ["as_of", "data_fingerprint", "model", "horizon"],
        unique=True,
        sqlite_where=_COMPLETE,
        postgresql_where=_COMPLETE,
    )
    op.create_index("ix_forecast_runs_status_as_of", "forecast_runs", ["status", "as_of"])
    op.create_table(
        "run_trusts",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("trust_code", sa.String(5), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "trust_code", name="pk_run_trusts"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.run_id"], ondelete="CASCADE", name="fk_run_trusts_run"
        ),
        sa.CheckConstraint("status IN ('ok', 'fallback')", name="ck_run_trusts_status"),
    )
    op.create_table(
        "run_forecasts",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("trust_code", sa.String(5), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("point", sa.Float(), nullable=False),
        sa.Column("lo80", sa.Float(), nullable=False),
        sa.Column("hi80", sa.Float(), nullable=False),
        sa.Column("lo95", sa.Float(), nullable=False),
        sa.Column("hi95", sa.Float(), nullable=False),
        # The primary key's index serves lookups by (run_id, trust_code) as its prefix.
        sa.PrimaryKeyConstraint("run_id", "trust_code", "date", name="pk_run_forecasts"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.run_id"], ondelete="CASCADE", name="fk_run_forecasts_run"
        ),
    )
    op.create_table(
        "live_accuracy",
        sa.Column("trust_code", sa.String(5), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("mae", sa.Float(), nullable=True),
        sa.Column("coverage80", sa.Float(), nullable=True),
        sa.Column("coverage95", sa.Float(), nullable=True),
        sa.Column("expected_mae", sa.Float(), nullable=True),
        sa.Column("expected_source", sa.String(32), nullable=True),
        sa.Column("drift", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trust_code", "horizon", name="pk_live_accuracy"),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("trusts", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("prefix", name="uq_api_keys_prefix"),
        sa.CheckConstraint("scope IN ('read', 'write', 'admin')", name="ck_api_keys_scope"),
    )


def downgrade() -> None:
    for table in (
        "api_keys", "live_accuracy", "run_forecasts", "run_trusts", "forecast_runs",
        "model_versions",
    ):
        op.drop_table(table)
