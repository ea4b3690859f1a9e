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

# --- 0002: model registry, forecast runs, live accuracy, API keys -------------------------------

RUN_STATUSES = ("running", "complete", "failed", "withdrawn")
TRUST_STATUSES = ("ok", "fallback", "stale")  # stale: left out, its data too old
KEY_SCOPES = ("read", "write", "admin")

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("version_id", sa.String(64), primary_key=True),
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("trained_from", sa.Date(), nullable=False),
    sa.Column("trained_until", sa.Date(), nullable=False),
    sa.Column("data_fingerprint", sa.String(64), nullable=False),
    sa.Column("path", sa.String(1000), nullable=False),
    sa.Column("metadata", sa.Text(), nullable=False, server_default="{}"),  # JSON
    sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),  # retention deleted it
)

forecast_runs = sa.Table(
    "forecast_runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("as_of", sa.Date(), nullable=False),
    sa.Column("horizon", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # RUN_STATUSES; readers see 'complete'
    sa.Column("model", sa.String(64), nullable=False),
    sa.Column("data_fingerprint", sa.String(64), nullable=False),
    sa.Column("metadata", sa.Text(), nullable=False, server_default="{}"),  # JSON
    sa.Column("target", sa.String(16), nullable=False, server_default="attendances"),
    # 0007: `aeforecast runs withdraw` / `runs serve` (store.run_choice)
    sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("withdrawn_reason", sa.Text(), nullable=True),
    sa.Column("served_at", sa.DateTime(timezone=True), nullable=True),
)

run_trusts = sa.Table(
    "run_trusts",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("forecast_runs.run_id"), primary_key=True),
    sa.Column("trust_code", sa.String(5), primary_key=True),
    sa.Column("model", sa.String(64), nullable=False),  # the model that served this trust
    sa.Column("model_version", sa.String(64), nullable=True),  # None: a fallback fitted inline
    sa.Column("status", sa.String(16), nullable=False),  # TRUST_STATUSES
    sa.Column("reason", sa.Text(), nullable=True),  # why it fell back
    sa.Column("data_to", sa.Date(), nullable=True),  # 0007: the last actual used
)

run_forecasts = sa.Table(
    "run_forecasts",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("forecast_runs.run_id"), primary_key=True),
    sa.Column("trust_code", sa.String(5), primary_key=True),
    sa.Column("date", sa.Date(), primary_key=True),
    sa.Column("horizon", sa.Integer(), nullable=False),
    sa.Column("point", sa.Float(), nullable=False),
    sa.Column("lo80", sa.Float(), nullable=False),
    sa.Column("hi80", sa.Float(), nullable=False),
    sa.Column("lo95", sa.Float(), nullable=False),
    sa.Column("hi95", sa.Float(), nullable=False),
)

live_accuracy = sa.Table(
    "live_accuracy",
    metadata,
    sa.Column("trust_code", sa.String(5), primary_key=True),
    sa.Column("horizon", sa.Integer(), primary_key=True),
    sa.Column("window_start", sa.Date(), nullable=False),
    sa.Column("window_end", sa.Date(), nullable=False),
    sa.Column("n", sa.Integer(), nullable=False),
    sa.Column("mae", sa.Float(), nullable=True),
    sa.Column("coverage80", sa.Float(), nullable=True),
    sa.Column("coverage95", sa.Float(), nullable=True),
    sa.Column("expected_mae", sa.Float(), nullable=True),
    sa.Column("expected_source", sa.String(32), nullable=True),  # 'holdout' | 'interval_width'
    sa.Column("drift", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("prefix", sa.String(64), nullable=False, unique=True),  # public lookup part
    sa.Column("key_hash", sa.String(64), nullable=False),  # sha256 hex of the secret
    sa.Column("scope", sa.String(16), nullable=False),  # KEY_SCOPES
    sa.Column("trusts", sa.Text(), nullable=True),  # JSON list; None = every trust
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),  # 0008; None: never
)

# --- 0003: capacity thresholds, forecast drivers -------------------------------------------------

THRESHOLD_SOURCES = ("api", "file")
# Driver families, in the order a response lists them (forecast.drivers explains each).
DRIVER_FAMILIES = ("weekday", "season", "bank_holiday", "temperature", "recent_level", "trend",
                   "flu_momentum", "other")

trust_thresholds = sa.Table(
    "trust_thresholds",
    metadata,
    sa.Column("trust_code", sa.String(5), primary_key=True),
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("attendances", sa.Integer(), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),  # THRESHOLD_SOURCES
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

run_drivers = sa.Table(
    "run_drivers",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("forecast_runs.run_id"), primary_key=True),
    sa.Column("trust_code", sa.String(5), primary_key=True),
    sa.Column("date", sa.Date(), primary_key=True),
    *[sa.Column(family, sa.Float(), nullable=True) for family in DRIVER_FAMILIES],
)

# --- 0004: hourly arrivals (optional input for the hour-by-hour forecast) ----------------------

arrivals_hourly = sa.Table(
    "arrivals_hourly",
    metadata,
    sa.Column("trust_code", sa.String(5), primary_key=True),
    sa.Column("hour_start_utc", sa.DateTime(timezone=True), primary_key=True),
    sa.Column("arrivals", sa.Integer(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# --- 0006: the hierarchy and each run's nodes ---------------------------------------------------

hierarchy = sa.Table(
    "hierarchy",
    metadata,
    sa.Column("row_code", sa.String(5), primary_key=True),  # site_code, else trust_code
    sa.Column("site_code", sa.String(5), nullable=True),
    sa.Column("trust_code", sa.String(5), nullable=False),
    sa.Column("ics_code", sa.String(5), nullable=False),
    sa.Column("region", sa.String(5), nullable=False),
    sa.Column("nation", sa.String(32), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

run_nodes = sa.Table(
    "run_nodes",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("forecast_runs.run_id"), primary_key=True),
    sa.Column("node_code", sa.String(5), primary_key=True),
    sa.Column("level", sa.String(8), nullable=False),  # nation, region, ics, trust, site
    sa.Column("parent_code", sa.String(5), nullable=True),
)
