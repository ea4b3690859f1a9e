"""API keys can expire.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08

`api_keys.expires_at`: after this moment the key is refused, as a revoked one is (null: it
never expires, as every key made before this migration).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("expires_at")
