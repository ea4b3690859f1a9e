"""Shared fixtures: a database on both backends, a migrated store, the CLI as a subprocess.

    database_url       a fresh, empty database URL, parametrized: sqlite (a file under tmp_path,
                       not created yet) and postgres (its own schema, dropped afterwards)
    store              a migrated `Store` on that database
    cli                runs `python -m aeforecast.cli ...` in tmp_path with AEF_DATABASE_URL set
    database_snapshot  a comparable picture of the database (file hashes or row counts),
                       to prove that a refused command wrote nothing

PostgreSQL comes from AEF_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test).
When it is unreachable the postgres tests skip, unless AEF_TEST_REQUIRE_POSTGRES=1 (set by
.ci/run) makes them fail. Select one backend with `-m postgres` / `-m "not postgres"`.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from support.commands import Cli
from support.database import BACKENDS, POSTGRES_URL, Snapshot

from contract.settings import get_settings
from store import Store


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are cached per process; a test that changes AEF_* must not leak into others."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The URL of a reachable PostgreSQL server; skips (fails in CI) when there is none."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        reason = f"PostgreSQL unreachable at {POSTGRES_URL}: {str(exc).strip()}"
        if os.environ.get("AEF_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database no other test sees; for PostgreSQL the schema is in the URL itself
    (`options=-csearch_path=...`), so subprocesses given only the URL land in it too."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'aeforecast.db'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    with Store(database_url) as opened:
        opened.migrate()
        yield opened


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Cli:
    return Cli(database_url, tmp_path)


@pytest.fixture
def database_snapshot(database_url: str) -> Callable[[], Snapshot]:
    """SQLite: hashes of the database files (absent ones too); PostgreSQL: rows per table."""

    def sqlite() -> Snapshot:
        path = Path(str(make_url(database_url).database))
        files = [path, path.with_name(path.name + "-wal")]
        return {
            str(f): hashlib.sha256(f.read_bytes()).hexdigest() if f.exists() else None
            for f in files
        }

    def postgres() -> Snapshot:
        schema = make_url(database_url).query["options"]
        assert isinstance(schema, str)
        schema = schema.removeprefix("-csearch_path=")
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY 1", (schema,)
            ).fetchall()
            return {
                name: conn.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()
                for (name,) in tables
            }

    return sqlite if database_url.startswith("sqlite") else postgres


# The few tests that take a minute or more (the batch killed at random and at each phase, the
# whole bad-input corpus, the model directory's faults) start first: with pytest-xdist they then
# overlap everything else instead of finishing alone at the end of the run.
LONGEST_FIRST = ("test_batch_kill_random.py", "test_batch_kill.py", "test_bad_inputs.py",
                 "test_batch_model_dir_faults.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: order kept
