"""The tables as the code queries them; they mirror the migrations (a test checks they agree).

Change a table here only together with a new migration under `migrations/versions/`.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

trusts = sa.Table(
    "trusts",
    metadata,
    sa.Column("trust_code", sa.String(5), primary_key=True),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("nation", sa.String(32), nullable=False, server_default="England"),
)

attendances = sa.Table(
    "attendances",
    metadata,
    sa.Column("trust_code", sa.String(5), primary_key=True),  # trusts registered on write
    sa.Column("date", sa.Date(), primary_key=True),
    sa.Column("attendances", sa.Integer(), nullable=False),
    sa.Column("admissions", sa.Integer(), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

temperatures = sa.Table(
    "temperatures",
    metadata,
    sa.Column("trust_code", sa.String(5), primary_key=True),
    sa.Column("date", sa.Date(), primary_key=True),
    sa.Column("temperature_c", sa.Float(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

ingests = sa.Table(
    "ingests",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("source", sa.String(1000), nullable=False),
    sa.Column("rows", sa.Integer(), nullable=False),
    sa.Column("inserted", sa.Integer(), nullable=False),
    sa.Column("updated", sa.Integer(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
