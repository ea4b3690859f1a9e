"""End to end, as an operator runs it: the real commands prepare the database, `aeforecast
serve` runs as a real process on a free port, and every contract endpoint is called over HTTP.

On both backends: synth (4 trusts, 2 years) -> ingest -> batch -> keys create -> serve.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import polars as pl
import pytest
from support.api_world import bearer
from support.commands import Cli, new_key, run_ok
from support.live_server import serve_env

pytestmark = pytest.mark.slow
TOMORROW = date.today() + timedelta(days=1)


@dataclass(frozen=True)
class Served:
    url: str
    run_id: str
    trusts: list[str]
    read: str  # every trust
    read_a: str  # trusts[0] only
    write: str


@pytest.fixture
def served(cli: Cli, tmp_path: Path) -> Iterator[Served]:
    run_ok(cli, "synth", "--out", "data", "--trusts", "4", "--years", "2", "--seed", "7")
    run_ok(
        cli,
        "ingest",
        "--attendances",
        "data/attendances.parquet",
        "--temperature",
        "data/temperature.parquet",
    )
    batch = cli("batch")
    assert batch.returncode in (0, 1), batch.stderr  # 1: stored, with a fallback for a trust
    run_id = batch.stdout.strip().splitlines()[-1]
    trusts = sorted(
        pl.read_parquet(tmp_path / "data" / "attendances.parquet")["trust_code"].unique().to_list()
    )
    keys = new_key(cli, "read"), new_key(cli, "read", trusts[0]), new_key(cli, "write")
    with serve_env(cli.env, tmp_path) as url:
        yield Served(url, run_id, trusts, *keys)



def check_forecast(body: dict[str, object], trust: str, start: date, days: int) -> None:
    assert body["trust_code"] == trust
    served_days = body["days"]
    assert isinstance(served_days, list) and len(served_days) == days
    for i, day in enumerate(served_days):
        assert day["date"] == (start + timedelta(days=i)).isoformat()
        assert day["lo95"] <= day["lo80"] <= day["point"] <= day["hi80"] <= day["hi95"], day


def test_every_contract_endpoint_over_http(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as http:
        _operations(http, served)
        _reads(http, served)
        _admissions(http, served)
        _auth_failures(http, served)
        _writes(http, served)
        _metrics_and_openapi(http)


def _operations(http: httpx.Client, served: Served) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["run_id"] == served.run_id
    assert ready.headers["x-request-id"]


def _reads(http: httpx.Client, served: Served) -> None:
    listed = http.get("/v1/trusts", headers=bearer(served.read)).json()["trusts"]
    assert [t["trust_code"] for t in listed] == served.trusts
    assert {t["run_id"] for t in listed} == {served.run_id}
    limited = http.get("/v1/trusts", headers=bearer(served.read_a)).json()["trusts"]
    assert [t["trust_code"] for t in limited] == served.trusts[:1]
    for trust in served.trusts:
        default = http.get(f"/v1/trusts/{trust}/forecast", headers=bearer(served.read))
        assert default.status_code == 200, default.text
        body = default.json()
        assert body["run_id"] == served.run_id and body["model"] and "generated_at" in body
        check_forecast(body, trust, TOMORROW, 14)
        # data through yesterday: the run's 42 days start today (the morning huddle's number)
        for offset, days in ((0, 1), (1, 1), (5, 30), (0, 42), (1, 41)):
            start = date.today() + timedelta(days=offset)
            params: dict[str, str | int] = {"start": start.isoformat(), "days": days}
            response = http.get(
                f"/v1/trusts/{trust}/forecast", params=params, headers=bearer(served.read)
            )
            assert response.status_code == 200, response.text
            check_forecast(response.json(), trust, start, days)
        past_end = {"start": TOMORROW.isoformat(), "days": 42}
        refused = http.get(f"/v1/trusts/{trust}/forecast", params=past_end,
                           headers=bearer(served.read))
        assert refused.status_code == 422 and "ask for days within" in refused.text
    first = served.trusts[0]
    tagged = http.get(f"/v1/trusts/{first}/forecast", headers=bearer(served.read_a))
    again = http.get(
        f"/v1/trusts/{first}/forecast",
        headers={**bearer(served.read_a), "If-None-Match": tagged.headers["etag"]},
    )
    assert again.status_code == 304
    csv = http.get(
        f"/v1/trusts/{first}/forecast", headers={**bearer(served.read), "Accept": "text/csv"}
    )
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 15


def _admissions(http: httpx.Client, served: Served) -> None:
    """The batch forecast admissions too (the synthetic data has them): a run of their own."""
    a, b = served.trusts[0], served.trusts[1]
    for trust in served.trusts:
        attendances = http.get(f"/v1/trusts/{trust}/forecast", headers=bearer(served.read)).json()
        response = http.get(f"/v1/trusts/{trust}/forecast", params={"target": "admissions"},
                            headers=bearer(served.read))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["target"] == "admissions" and attendances["target"] == "attendances"
        assert body["run_id"] != served.run_id
        check_forecast(body, trust, TOMORROW, 14)
        for adm, att in zip(body["days"], attendances["days"], strict=True):
            assert 0 < adm["point"] < att["point"]
    hidden = http.get(f"/v1/trusts/{b}/forecast", params={"target": "admissions"},
                      headers=bearer(served.read_a))
    assert hidden.status_code == 404
    bad = http.get(f"/v1/trusts/{a}/forecast", params={"target": "beds"},
                   headers=bearer(served.read))
    assert bad.status_code == 422 and "target" in bad.json()["error"]["message"]


def _auth_failures(http: httpx.Client, served: Served) -> None:
    a, b = served.trusts[0], served.trusts[1]
    no_key = http.get(f"/v1/trusts/{a}/forecast")
    assert no_key.status_code == 401 and no_key.headers["www-authenticate"].startswith("Bearer")
    assert no_key.json()["error"]["code"] == "unauthenticated"
    bad_key = http.get("/v1/trusts", headers=bearer(served.read[:-1] + "x"))
    assert bad_key.status_code == 401
    body = [{"date": (date.today() - timedelta(days=1)).isoformat(), "attendances": 250}]
    wrong_scope = http.post(f"/v1/trusts/{a}/attendances", json=body, headers=bearer(served.read))
    assert wrong_scope.status_code == 403 and wrong_scope.json()["error"]["code"] == "forbidden"
    other_trust = http.get(f"/v1/trusts/{b}/forecast", headers=bearer(served.read_a))
    unknown = http.get("/v1/trusts/ZZZ9/forecast", headers=bearer(served.read_a))
    assert other_trust.status_code == unknown.status_code == 404
    assert other_trust.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"


def _writes(http: httpx.Client, served: Served) -> None:
    a = served.trusts[0]
    body = [
        {
            "date": (date.today() - timedelta(days=1)).isoformat(),
            "attendances": 250,
            "admissions": 60,
        }
    ]
    first = http.post(f"/v1/trusts/{a}/attendances", json=body, headers=bearer(served.write))
    assert first.status_code == 200, first.text
    again = http.post(f"/v1/trusts/{a}/attendances", json=body, headers=bearer(served.write))
    assert again.status_code == 200 and again.json()["unchanged"] == 1
    bad = http.post(
        f"/v1/trusts/{a}/attendances",
        json=[{"date": "2024-01-01", "attendances": -3}],
        headers=bearer(served.write),
    )
    assert bad.status_code == 422 and "attendances" in bad.json()["error"]["message"]
    temperature = [{"date": TOMORROW.isoformat(), "temperature_c": 3.5}]
    stored = http.post(
        f"/v1/trusts/{a}/temperature", json=temperature, headers=bearer(served.write)
    )
    assert stored.status_code == 200, stored.text
    too_big = http.post(
        f"/v1/trusts/{a}/temperature",
        content=b"[" + b" " * 2_000_000 + b"]",
        headers={**bearer(served.write), "Content-Type": "application/json"},
    )
    assert too_big.status_code == 413


def _metrics_and_openapi(http: httpx.Client) -> None:
    metrics = http.get("/metrics")
    assert metrics.status_code == 200
    assert 'route="/v1/trusts/{trust_code}/forecast",status="200"' in metrics.text
    assert "aef_forecast_run_age_seconds" in metrics.text
    paths = http.get("/openapi.json").json()["paths"]
    assert {
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/trusts",
        "/v1/trusts/{trust_code}/forecast",
        "/v1/trusts/{trust_code}/attendances",
        "/v1/trusts/{trust_code}/temperature",
    } <= set(paths)
