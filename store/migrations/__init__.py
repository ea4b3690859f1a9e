"""Alembic migrations of the store, applied in order by `store.Store.migrate()`."""
