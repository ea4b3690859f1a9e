"""Alembic migrations of the store, applied in order by `aeforecast.store.Store.migrate()`."""
