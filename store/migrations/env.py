"""Alembic environment: runs on the connection `Store.migrate()` hands over, inside its transaction.

There is no engine or URL here on purpose: the store owns connections (SQLite pragmas,
PostgreSQL search_path), so migrations see exactly the database the code will use.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("apply migrations with store.Store(url).migrate()")
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
