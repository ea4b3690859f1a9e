"""A served world for end-to-end tests of the hourly forecast and the dashboard.

Built as an operator would: `aeforecast synth` (3 trusts, 2 years to 27 March 2026), `ingest`
with hourly arrivals for the first trust (Cardiff's real hours, relabelled), `batch --as-of
2026-03-20` (so the run's 42 days include the spring clock change on 29 March and a week of
actuals after its start), `ingest` again (live accuracy scores that week), read keys, and
`aeforecast serve` on a free port. One world per backend and test module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import psycopg
from sqlalchemy.engine import make_url

from support.commands import Cli, new_key, run_ok
from support.live_server import serve_env
from support.paths import HOURLY_SAMPLE

SAMPLE = HOURLY_SAMPLE
DATA_END = date(2026, 3, 27)
AS_OF = date(2026, 3, 20)
SPRING_FORWARD = date(2026, 3, 29)


@dataclass(frozen=True)
class World:
    url: str
    run_id: str
    trusts: list[str]  # trusts[0] has hourly arrivals, the others none
    read: str  # every trust
    read_a: str  # trusts[0] only
    write: str
    admin: str
    backend: str = ""


@contextmanager
def database(backend: str, folder: Path, postgres: str | None) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'var' / 'aeforecast.db'}"
        return
    assert postgres is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def served_world(database_url: str, folder: Path) -> Iterator[World]:
    cli = Cli(database_url, folder)
    run_ok(cli, "synth", "--out", "data", "--trusts", "3", "--years", "2", "--seed", "11",
           "--end", DATA_END.isoformat())
    trusts = sorted(
        pl.read_parquet(folder / "data" / "attendances.parquet")["trust_code"].unique().to_list()
    )
    hourly = pl.read_csv(SAMPLE).with_columns(trust_code=pl.lit(trusts[0]))
    hourly.write_csv(folder / "data" / "hourly.csv")
    ingest = ["ingest", "--attendances", "data/attendances.parquet",
              "--temperature", "data/temperature.parquet"]
    run_ok(cli, *ingest, "--hourly", "data/hourly.csv")
    batch = cli("batch", "--as-of", AS_OF.isoformat())
    assert batch.returncode in (0, 1), batch.stderr
    run_id = batch.stdout.strip().splitlines()[-1]
    run_ok(cli, *ingest)  # nothing new, but live accuracy now scores the run's first week
    keys = (new_key(cli, "read"), new_key(cli, "read", trusts[0]), new_key(cli, "write"),
            new_key(cli, "admin"))
    # data fixed to March 2026 is stale by today's clock: /readyz says so (503), so wait on /healthz
    with serve_env(cli.env, folder, until="/healthz") as url:
        yield World(url, run_id, trusts, *keys)
