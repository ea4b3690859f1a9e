"""Admissions over the hierarchy: the batch's admissions run forecasts every node that reports
admissions, coherently; the node routes serve it with `?target=admissions` to the keys that the
admissions run's hierarchy allows; reads before any admissions run get the contract's 404."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import httpx
import polars as pl
import pytest
import sqlalchemy as sa
from support.api_world import bearer
from support.hierarchy import backtest_cli, largest_gap

with warnings.catch_warnings():  # Starlette prefers httpx2 to the httpx we install; same client
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from api.app import create_app
from batch.hierarchy_run import structure_for
from batch.inputs import for_target, load_inputs
from batch.registry import ModelRegistry
from batch.runner import BatchOptions, run_batch
from contract.hierarchy import validate_hierarchy
from contract.inputs import validate_attendances, validate_temperature
from contract.settings import Settings
from forecast.targets import Target
from store import Store
from store import _tables as t
from store.hierarchy import read_hierarchy, replace_hierarchy
from store.keys import create_key
from store.run_log import RunLog, RunRows
from store.runs import RunInfo, get_run
from synthetic_data import SynthConfig, SyntheticData, generate

pytestmark = pytest.mark.slow  # the real commands end to end

END = date(2026, 3, 31)
START = END + timedelta(days=1)
HORIZON = 14
ROUTE = {"nation": "nations", "region": "regions", "ics": "ics", "trust": "trusts",
         "site": "sites"}


@cache
def synthetic() -> SyntheticData:
    """10 trusts, some with 2-3 sites whose files carry admissions too, in 2+ ICSs."""
    return generate(SynthConfig(trusts=10, years=2, end=END, seed=4))


def ingest_world(store: Store, site_attendances: pl.DataFrame | None = None) -> None:
    data = synthetic()
    sites = data.site_attendances if site_attendances is None else site_attendances
    store.ingest(validate_attendances(data.attendances, as_of=END),
                 validate_temperature(data.temperature), source="test")
    store.ingest(validate_attendances(sites, as_of=END), source="test")
    replace_hierarchy(store, validate_hierarchy(data.hierarchy))


def stored(store: Store, run_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(node_code, level, parent_code) and (node_code, date, point) of one run."""
    n, f = t.run_nodes, t.run_forecasts
    with store.transaction(write=False) as conn:
        nodes = pl.DataFrame([tuple(r) for r in conn.execute(
            sa.select(n.c.node_code, n.c.level, n.c.parent_code).where(n.c.run_id == run_id))],
            schema=["node_code", "level", "parent_code"], orient="row")
        points = pl.DataFrame([tuple(r) for r in conn.execute(
            sa.select(f.c.trust_code, f.c.date, f.c.point).where(f.c.run_id == run_id))],
            schema=["node_code", "date", "point"], orient="row")
    return nodes, points



def get(client: TestClient, key: str, level: str, code: str, target: str = "admissions"
        ) -> httpx.Response:
    return client.get(f"/v1/{ROUTE[level]}/{code}/forecast", headers=bearer(key),
                      params={"start": START.isoformat(), "days": HORIZON, "target": target})


@dataclass(frozen=True)
class Runs:
    attendances: RunInfo
    admissions: RunInfo
    models: Path


@pytest.fixture
def runs(store: Store, tmp_path: Path) -> Runs:
    """The batch as the command runs it: attendances, then admissions, over the mapping."""
    ingest_world(store)
    registry = ModelRegistry(tmp_path / "models")
    options = BatchOptions(END, HORIZON, model="snaive")
    attendances = run_batch(store, registry, options)
    admissions = run_batch(store, registry, BatchOptions(END, HORIZON, model="snaive",
                                                         target="admissions"))
    assert not admissions.reused and admissions.run_id != attendances.run_id
    again = run_batch(store, registry, BatchOptions(END, HORIZON, model="snaive",
                                                    target="admissions"))
    assert again.reused and again.run_id == admissions.run_id
    return Runs(get_run(store, attendances.run_id), get_run(store, admissions.run_id),
                tmp_path / "models")


def test_the_admissions_run_is_hierarchical_coherent_and_served(
    runs: Runs, store: Store, database_url: str
) -> None:
    """One batch pair per backend (the fits are the slow part): the store, then HTTP."""
    run = runs.admissions
    assert run.target == "admissions" and run.model == "hierarchy-snaive"
    assert run.metadata["target"] == "admissions"
    assert {p.name for p in runs.models.iterdir()} == {"hierarchy-snaive",
                                                       "hierarchy-snaive.admissions"}
    nodes, points = stored(store, run.run_id)
    assert set(nodes["level"]) == {"nation", "region", "ics", "trust", "site"}
    assert nodes.sort("node_code").equals(stored(store, runs.attendances.run_id)[0].sort(
        "node_code"))  # the synthetic site files carry admissions: the same nodes
    assert points.height == nodes.height * HORIZON
    assert largest_gap(points, nodes) < 1e-6
    with api(database_url) as client:
        _check_served(client, store, runs, nodes, points)
        _check_keys(client, store, nodes)


def _check_served(client: TestClient, store: Store, runs: Runs, nodes: pl.DataFrame,
                  points: pl.DataFrame) -> None:
    key = create_key(store, "all", "read").token
    for code, level, _ in nodes.iter_rows():
        admissions, attendances = get(client, key, level, code), get(
            client, key, level, code, "attendances")
        assert admissions.status_code == 200, (code, admissions.text)
        body = admissions.json()
        assert body.get("node_code", body.get("trust_code")) == code
        assert body["target"] == "admissions" and attendances.json()["target"] == "attendances"
        assert body["run_id"] == runs.admissions.run_id == admissions.headers["x-run-id"]
        want = points.filter(pl.col("node_code") == code).sort("date")["point"].to_list()
        got = [day["point"] for day in body["days"]]
        assert got == pytest.approx(want, abs=0.0051), code
        for adm, att in zip(body["days"], attendances.json()["days"], strict=True):
            assert 0 < adm["point"] < att["point"], code
        assert admissions.headers["etag"] != attendances.headers["etag"]
        revalidated = client.get(admissions.url, headers={
            **bearer(key), "If-None-Match": admissions.headers["etag"]})
        assert revalidated.status_code == 304


def _check_keys(client: TestClient, store: Store, nodes: pl.DataFrame) -> None:
    """An ICS key sees its ICS, trusts and sites in the admissions run; nothing else."""
    level = dict(zip(nodes["node_code"], nodes["level"], strict=True))
    parent = dict(zip(nodes["node_code"], nodes["parent_code"], strict=True))
    site = nodes.filter(pl.col("level") == "site")["node_code"][0]
    ics = parent[parent[site]]
    others = [c for c, lvl in level.items() if lvl == "ics" and c != ics]
    assert others, "the world needs two ICSs"
    below = [c for c in level if parent[c] == ics or parent.get(parent[c] or "") == ics]
    assert site in below and any(level[c] == "trust" for c in below)
    key = create_key(store, "ics", "read", [ics]).token
    for code in [ics, *below]:
        assert get(client, key, level[code], code).status_code == 200, code
    unknown = get(client, key, "ics", "QZZ").json()
    for code in others:
        hidden = get(client, key, "ics", code)
        assert hidden.status_code == 404
        assert hidden.json() == {"error": {**unknown["error"], "message": unknown["error"][
            "message"].replace("QZZ", code)}}
    assert get(client, key, "region", parent[ics] or "").status_code == 404
    outside = [c for c, lvl in level.items() if lvl == "trust" and c not in below]
    assert get(client, key, "trust", outside[0]).status_code == 404


def test_a_trust_whose_sites_report_no_admissions_is_an_admissions_leaf(store: Store) -> None:
    """Sites enter the admissions hierarchy only if they all report admissions; otherwise
    their trust's own admissions are the bottom series (its attendances still come by site)."""
    data = synthetic()
    sited = data.hierarchy.drop_nulls("site_code")
    quiet = sited["trust_code"].sort()[0]
    quiet_sites = sited.filter(pl.col("trust_code") == quiet)["site_code"].to_list()
    ingest_world(store, data.site_attendances.with_columns(admissions=pl.when(
        pl.col("trust_code").is_in(quiet_sites)).then(None).otherwise(pl.col("admissions"))))
    mapping = read_hierarchy(store)
    inputs = load_inputs(store, END, HORIZON)
    admissions = for_target(inputs, "admissions")
    assert mapping is not None and admissions is not None
    by_attendances = structure_for(mapping, inputs.data)
    by_admissions = structure_for(mapping, admissions.data)
    assert set(quiet_sites) <= set(by_attendances.leaves) and quiet not in by_attendances.leaves
    assert quiet in by_admissions.leaves and not set(quiet_sites) & set(by_admissions.codes)
    loud = set(sited["site_code"]) - set(quiet_sites)
    assert loud and loud <= set(by_admissions.leaves) and loud <= set(by_attendances.leaves)


NODES = [("ENG", "nation", None), ("Y56", "region", "ENG"), ("QAA", "ics", "Y56"),
         ("QBB", "ics", "Y56"), ("RAA", "trust", "QAA"), ("RBB", "trust", "QBB"),
         ("RAA01", "site", "RAA"), ("RAA02", "site", "RAA")]


def store_node_run(store: Store, target: Target, codes: list[str], level: float) -> str:
    """A complete hierarchical run as the batch stores one (no model: the API's side only)."""
    run_id = RunLog(store).begin(as_of=END, horizon=HORIZON, model="hierarchy-snaive",
                       fingerprint=target, target=target)
    rows = [{"trust_code": code, "date": END + timedelta(days=h), "horizon": h,
             "point": level + h, "lo80": level, "hi80": level + 40, "lo95": level - 20,
             "hi95": level + 60} for code in codes for h in range(1, HORIZON + 1)]
    served = pl.DataFrame([(c, "hierarchy-snaive", None, "ok", None) for c in codes],
                          schema=["trust_code", "model", "model_version", "status", "reason"],
                          orient="row")
    nodes = pl.DataFrame([n for n in NODES if n[0] in codes],
                         schema=["node_code", "level", "parent_code"], orient="row")
    RunLog(store).complete(run_id, RunRows(pl.DataFrame(rows), served, nodes=nodes), {})
    return run_id


@contextmanager
def api(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url), refresh_seconds=0, key_ttl_seconds=0)
    with TestClient(app) as client:
        yield client


def test_admissions_before_their_run_and_for_nodes_not_in_it_are_the_contracts_404(
    store: Store, database_url: str
) -> None:
    with api(database_url) as client:
        _check_404s(store, client)


def _check_404s(store: Store, client: TestClient) -> None:
    codes = [n[0] for n in NODES if n[1] in ("trust", "site")]
    store.ingest(validate_attendances(pl.DataFrame({
        "trust_code": codes, "date": [END] * len(codes), "attendances": [300] * len(codes),
        "admissions": [80] * len(codes)}), as_of=END), source="test")
    store_node_run(store, "attendances", [n[0] for n in NODES], 300.0)
    key = create_key(store, "all", "read").token
    for level, code in (("ics", "QAA"), ("trust", "RAA"), ("site", "RAA01")):
        assert get(client, key, level, code, "attendances").status_code == 200
        early = get(client, key, level, code)
        assert early.status_code == 404
        assert early.json() == {"error": {"code": "no_forecast", "message": (
            "no admissions forecast run yet: the nightly batch has not run on admissions data")}}
    store_node_run(store, "admissions", [n[0] for n in NODES if n[1] != "site"], 80.0)
    served = get(client, key, "ics", "QAA")
    assert served.status_code == 200 and served.json()["days"][0]["point"] == 81.0
    assert get(client, key, "site", "RAA01", "attendances").status_code == 200
    absent, unknown = get(client, key, "site", "RAA01"), get(client, key, "site", "RZZ01")
    assert absent.status_code == unknown.status_code == 404
    assert absent.json()["error"]["message"].replace("RAA01", "RZZ01") == unknown.json()[
        "error"]["message"]
    assert absent.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    wrong = get(client, key, "ics", "QAA", "beds")
    assert wrong.status_code == 422 and "target" in wrong.json()["error"]["message"]


def test_backtest_scores_every_level_on_admissions_sites_included(tmp_path: Path) -> None:
    data = synthetic()
    out = backtest_cli(data, tmp_path, "--origins", "2", "--target", "admissions")
    block = json.loads((out / "metrics.json").read_text())["hierarchy"]
    assert block["target"] == "admissions"
    assert set(block["levels"]) == {"nation", "region", "ics", "trust", "site"}
    assert block["max_incoherence"]["mint_shrink"] < 1e-6
    scored = pl.read_parquet(out / "hierarchy_forecasts.parquet").filter(
        pl.col("model") == "mint_shrink")
    for level, actuals in (("site", data.site_attendances), ("trust", data.attendances)):
        rows = scored.filter(pl.col("level") == level).join(
            actuals, on=["trust_code", "date"])
        assert rows.height > 0 and (rows["actual"] == rows["admissions"]).all(), level
