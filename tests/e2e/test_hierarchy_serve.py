"""The hierarchy end to end on both backends: ingest the mapping and site data, run the batch,
check every parent equals the sum of its children in the store and over real HTTP, and that
keys limited to a node see it and what is below it, nothing above."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import polars as pl
import pytest
import sqlalchemy as sa
from support.commands import Cli, run_ok
from support.hierarchy import largest_gap
from support.live_server import serve_env

from store import Store
from store import _tables as t

pytestmark = pytest.mark.slow
ROUTE = {"nation": "nations", "region": "regions", "ics": "ics", "trust": "trusts",
         "site": "sites"}


@dataclass(frozen=True)
class World:
    url: str
    run_id: str
    nodes: pl.DataFrame  # node_code, level, parent_code
    stored: pl.DataFrame  # node_code, date, point


def _key(cli: Cli, *nodes: str) -> str:
    limits = [arg for code in nodes for arg in ("--node", code)]
    return run_ok(cli, "keys", "create", "--name", "h", "--scope", "read", *limits).strip()


@pytest.fixture
def world(cli: Cli, tmp_path: Path, database_url: str) -> Iterator[World]:
    run_ok(cli, "synth", "--out", "data", "--trusts", "10", "--years", "2", "--seed", "4",
           "--end", "2026-03-31")
    run_ok(cli, "ingest", "--attendances", "data/attendances.parquet", "--temperature",
           "data/temperature.parquet", "--hierarchy", "data/hierarchy.parquet")
    again = run_ok(cli, "ingest", "--hierarchy", "data/hierarchy.parquet")
    assert "0 stored" in again
    run_ok(cli, "ingest", "--attendances", "data/site_attendances.parquet")
    out = run_ok(cli, "batch", "--model", "snaive", "--as-of", "2026-03-31", "--horizon", "14")
    run_id = out.strip().splitlines()[-1]
    with Store(database_url) as store, store.transaction(write=False) as conn:
        nodes = pl.DataFrame([tuple(r) for r in conn.execute(
            sa.select(t.run_nodes.c.node_code, t.run_nodes.c.level, t.run_nodes.c.parent_code)
            .where(t.run_nodes.c.run_id == run_id))],
            schema=["node_code", "level", "parent_code"], orient="row")
        f = t.run_forecasts
        stored = pl.DataFrame([tuple(r) for r in conn.execute(
            sa.select(f.c.trust_code, f.c.date, f.c.point).where(f.c.run_id == run_id))],
            schema=["node_code", "date", "point"], orient="row")
    # data fixed to March 2026 is stale by today's clock: /readyz says so (503), so wait on /healthz
    with serve_env(cli.env, tmp_path, until="/healthz") as url:
        yield World(url, run_id, nodes, stored)


def _served(world: World, key: str) -> Callable[[str, str], httpx.Response]:
    def get(level: str, code: str) -> httpx.Response:
        return httpx.get(f"{world.url}/v1/{ROUTE[level]}/{code}/forecast",
                         params={"start": "2026-04-01", "days": 14},
                         headers={"Authorization": f"Bearer {key}"}, timeout=10)
    return get


def test_coherent_in_store_and_over_http_and_keys_see_only_down(world: World, cli: Cli) -> None:
    """One world per backend (a batch is the slow part): coherence, then key restrictions."""
    _check_coherence(world, cli)
    _check_keys(world, cli)


def _check_coherence(world: World, cli: Cli) -> None:
    levels = set(world.nodes["level"])
    assert levels == {"nation", "region", "ics", "trust", "site"}
    assert largest_gap(world.stored, world.nodes) < 1e-6
    get = _served(world, _key(cli))
    rows = []
    for code, level, _ in world.nodes.iter_rows():
        response = get(level, code)
        assert response.status_code == 200, (code, level, response.text)
        body = response.json()
        assert body.get("node_code", body.get("trust_code")) == code
        assert body["run_id"] == world.run_id
        for day in body["days"]:
            assert day["lo95"] <= day["lo80"] <= day["point"] <= day["hi80"] <= day["hi95"]
            rows.append((code, day["date"], day["point"]))
    served = pl.DataFrame(rows, schema=["node_code", "date", "point"], orient="row")
    assert served.height == world.nodes.height * 14
    leaves_under_nation = world.nodes.filter(pl.col("level") != "nation").height
    assert largest_gap(served, world.nodes) <= 0.005 * leaves_under_nation  # 2-decimal rounding


def _check_keys(world: World, cli: Cli) -> None:
    nodes = world.nodes
    trust = nodes.filter(pl.col("level") == "trust").row(0, named=True)
    ics = nodes.filter(pl.col("node_code") == trust["parent_code"]).row(0, named=True)
    region = ics["parent_code"]
    other_ics = nodes.filter((pl.col("level") == "ics") & (pl.col("node_code") != ics[
        "node_code"]))["node_code"].to_list()
    below = nodes.filter(pl.col("parent_code") == ics["node_code"])["node_code"].to_list()
    sites = nodes.filter(pl.col("parent_code").is_in(below))["node_code"].to_list()
    level = dict(zip(nodes["node_code"], nodes["level"], strict=True))
    ics_key = _served(world, _key(cli, ics["node_code"]))
    assert ics_key("ics", ics["node_code"]).status_code == 200
    for code in below + sites:
        assert ics_key(level[code], code).status_code == 200, code
    assert ics_key("region", region).status_code == 404
    assert ics_key("nation", "ENG").status_code == 404
    for code in other_ics:
        assert ics_key("ics", code).status_code == 404
    listed = httpx.get(f"{world.url}/v1/trusts", timeout=10, headers={
        "Authorization": f"Bearer {_key(cli, ics['node_code'])}"}).json()["trusts"]
    assert sorted(item["trust_code"] for item in listed) == sorted(below)
    page = httpx.get(f"{world.url}/dashboard", timeout=10, headers={
        "Authorization": f"Bearer {_key(cli, ics['node_code'])}"})
    assert page.status_code == 200  # the dashboard's list is the API's list (issue 25 item 8)
    assert sorted(re.findall(r"href='/dashboard/([A-Z0-9]+)'", page.text)) == sorted(below)
    trust_key = _served(world, _key(cli, trust["node_code"]))
    assert trust_key("trust", trust["node_code"]).status_code == 200
    assert trust_key("ics", ics["node_code"]).status_code == 404
    assert trust_key("region", region).status_code == 404
    everyone = _served(world, _key(cli))
    assert everyone("ics", region).status_code == 404  # a region is not an ICS
    assert everyone("region", region).json()["level"] == "region"


def test_a_bad_mapping_is_refused_and_nothing_is_written(
    cli: Cli, tmp_path: Path, database_snapshot: Callable[[], object]
) -> None:
    (tmp_path / "h.csv").write_text("site_code,trust_code,ics_code,region,nation\n"
                                    "RAA01,RAA,QAA,Y56,England\nRAA01,RBB,QAA,Y56,England\n")
    before = database_snapshot()
    done = cli("ingest", "--hierarchy", str(tmp_path / "h.csv"))
    assert done.returncode == 2
    assert "line 3" in done.stderr and "already under trust_code RAA" in done.stderr
    assert database_snapshot() == before
