"""`aeforecast db`: the database schema, for operators who migrate as a step of their own.

Every command brings the schema up to date before it starts (idempotent, and one migrator at a
time on PostgreSQL). Where migrations must be a deliberate step (a change window, a DBA's
review), set `AEF_MIGRATE_ON_START=false`: commands then only check the schema and refuse to run
on an old one, and `aeforecast db upgrade` applies the migrations.
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    sub.add_parser("upgrade", help="apply every migration the database lacks (idempotent)"
                   ).set_defaults(handler=run_upgrade)
    sub.add_parser("status", help="the database's schema revision and the one this version needs"
                   ).set_defaults(handler=run_status)


def run_upgrade(_args: argparse.Namespace) -> int:
    from store import Store

    with Store.from_settings() as store:
        before = store.upgrade()
        _, head = store.schema_revision()
        url = store.url
    if before == head:
        print(f"{url}: the schema is already at {head}; nothing to do", file=sys.stderr)
    else:
        print(f"{url}: migrated the schema from {before or 'empty'} to {head}", file=sys.stderr)
    return 0


def run_status(_args: argparse.Namespace) -> int:
    from store import Store

    with Store.from_settings() as store:
        current, head = store.schema_revision()
        url = store.url
    state = "up to date" if current == head else "behind: run `aeforecast db upgrade`"
    print(f"{url}: schema {current or 'empty'}, this version needs {head} ({state})")
    return 0 if current == head else 1
