"""The service's database: an embedded SQLite file by default, PostgreSQL when configured.

    store = Store.from_settings()          # AEF_DATABASE_URL, default ./var/aeforecast.db
    store.migrate()                        # idempotent; run it at the start of every command
    store.ingest(attendances=frame, temperature=temp, source="file.csv")   # one transaction
    store.read_attendances(["RXX"], start=date(2024, 1, 1))

Frames going in must come from `contract.inputs` (validated, typed); frames coming out
have the same schema. Write methods are one transaction each, all or nothing, and re-writing
the same rows changes nothing. `Store.transaction()` gives a connection inside one transaction
for code that writes its own tables (forecast runs, keys), using the tables in `_tables.py`.

Adding a migration (schema changes go only through migrations):

1. `.venv/bin/alembic -c store/alembic.ini revision --rev-id 0002 -m "forecast runs"`
   writes `migrations/versions/0002_forecast_runs.py` chained to the newest one (or copy
   `0001_initial.py`, set `revision = "0002"` and `down_revision = "0001"`). Number them in
   order; two engineers adding the same number must renumber before merging.
2. Write `upgrade()` (and `downgrade()`) with `op.create_table`, `op.add_column`, ...; on
   SQLite, alter existing tables inside `with op.batch_alter_table("name") as batch:`.
   Do not import `_tables.py` from a migration: a migration describes history, frozen.
3. Mirror the change in `_tables.py`; `tests/store/test_store.py` checks the migrated database
   has every table and column `_tables.py` declares, on SQLite and PostgreSQL.
4. `Store(url).migrate()` applies it; nothing else is needed (no alembic.ini at the root).
"""

from store._store import HourlyExtent, IngestResult, Store
from store._upsert import UpsertResult

__all__ = ["HourlyExtent", "IngestResult", "Store", "UpsertResult"]
