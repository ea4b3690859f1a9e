"""The API in process (TestClient) on both backends: every route, keys, errors, caching, CSV.

A forecast run is written with the batch's own run store (no model fitted), so these tests
need only the store; `tests/e2e/` runs the real commands and a real server.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette prefers httpx2 to the httpx we install; same client
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from support.api_world import (
    TODAY,
    TOMORROW,
    TRUSTS,
    bearer,
    ingest_history,
    make_client,
    store_run,
)

from store import Store
from store.keys import create_key, revoke_key


@dataclass(frozen=True)
class Keys:
    read: str
    read_rxx: str
    write: str
    write_rxx: str
    admin: str


@pytest.fixture
def keys(store: Store) -> Keys:
    return Keys(
        read=create_key(store, "reader", "read").token,
        read_rxx=create_key(store, "RXX reader", "read", ["RXX"]).token,
        write=create_key(store, "writer", "write").token,
        write_rxx=create_key(store, "RXX writer", "write", ["RXX"]).token,
        admin=create_key(store, "admin", "admin").token,
    )


@pytest.fixture
def run_id(store: Store) -> str:
    ingest_history(store, TRUSTS)
    return store_run(store, TRUSTS)


@pytest.fixture
def client(database_url: str, store: Store) -> Iterator[TestClient]:
    del store  # only needed migrated
    with make_client(database_url) as opened:
        yield opened


def check_days(days: list[dict[str, object]], start: date, count: int) -> None:
    assert [d["date"] for d in days] == [
        (start + timedelta(days=i)).isoformat() for i in range(count)
    ]
    for d in days:
        assert d["lo95"] <= d["lo80"] <= d["point"] <= d["hi80"] <= d["hi95"]  # type: ignore[operator]


# --- operations ---------------------------------------------------------------------------------


def test_healthz_answers_without_a_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_is_503_until_a_run_exists_then_200(client: TestClient, store: Store) -> None:
    before = client.get("/readyz")
    assert before.status_code == 503
    assert before.json()["error"]["code"] == "no_forecast"
    run_id = store_run(store, ["RXX"])
    after = client.get("/readyz")
    assert after.status_code == 200, after.text
    assert after.json()["run_id"] == run_id and after.json()["run_age_seconds"] >= 0


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    with make_client("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1") as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["error"]["code"] == "store_unavailable"
    assert "127.0.0.1" not in response.text and "nobody" not in response.text


def test_metrics_report_routes_by_template_and_the_run_age(
    client: TestClient, keys: Keys, run_id: str
) -> None:
    client.get("/v1/trusts/RXX/forecast", headers=bearer(keys.read))
    client.get("/v1/trusts/RZZ/forecast", headers=bearer(keys.read))
    client.get("/v1/trusts/RXX/forecast")
    text = client.get("/metrics").text
    route = 'route="/v1/trusts/{trust_code}/forecast"'
    assert f'aef_http_requests_total{{method="GET",{route},status="200"}} 2.0' in text
    assert f'aef_http_requests_total{{method="GET",{route},status="401"}} 1.0' in text
    assert "aef_http_request_duration_seconds_bucket" in text
    assert "aef_forecast_run_age_seconds " in text
    assert f'run_id="{run_id}"' in text


# --- keys and access ----------------------------------------------------------------------------


@pytest.mark.usefixtures("run_id")
def test_v1_needs_a_valid_key(client: TestClient, keys: Keys) -> None:
    for headers in (
        {},
        bearer("aef_nosuchke_" + "a" * 43),
        bearer("garbage"),
        {"Authorization": f"Basic {keys.read}"},
    ):
        response = client.get("/v1/trusts", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "unauthenticated"
    wrong_secret = keys.read[:-4] + ("AAAA" if not keys.read.endswith("AAAA") else "BBBB")
    assert client.get("/v1/trusts", headers=bearer(wrong_secret)).status_code == 401


@pytest.mark.usefixtures("run_id")
def test_a_revoked_key_stops_working(client: TestClient, store: Store) -> None:
    created = create_key(store, "temp", "read")
    assert client.get("/v1/trusts", headers=bearer(created.token)).status_code == 200
    revoke_key(store, created.record.prefix)
    assert client.get("/v1/trusts", headers=bearer(created.token)).status_code == 401


def test_trusts_lists_what_the_key_may_see_with_the_run(
    client: TestClient, keys: Keys, run_id: str
) -> None:
    every = client.get("/v1/trusts", headers=bearer(keys.read)).json()["trusts"]
    assert [t["trust_code"] for t in every] == TRUSTS
    assert all(t["run_id"] == run_id and t["generated_at"] for t in every)
    assert every[0]["first_date"] == TOMORROW.isoformat()
    limited = client.get("/v1/trusts", headers=bearer(keys.read_rxx)).json()["trusts"]
    assert [t["trust_code"] for t in limited] == ["RXX"]


@pytest.mark.usefixtures("run_id")
def test_another_trust_is_404_exactly_like_an_unknown_one(client: TestClient, keys: Keys) -> None:
    hidden = client.get("/v1/trusts/RZZ/forecast", headers=bearer(keys.read_rxx))
    unknown = client.get("/v1/trusts/RQQ/forecast", headers=bearer(keys.read_rxx))
    malformed = client.get("/v1/trusts/rzz/forecast", headers=bearer(keys.read))
    assert hidden.status_code == unknown.status_code == malformed.status_code == 404
    assert hidden.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    assert hidden.json()["error"]["message"].replace("RZZ", "X") == unknown.json()["error"][
        "message"
    ].replace("RQQ", "X")
    assert client.get("/v1/trusts/RXX/forecast", headers=bearer(keys.read_rxx)).status_code == 200


@pytest.mark.usefixtures("run_id")
def test_writing_needs_the_write_scope(client: TestClient, keys: Keys) -> None:
    body = [{"date": (TODAY - timedelta(days=1)).isoformat(), "attendances": 300}]
    refused = client.post("/v1/trusts/RXX/attendances", json=body, headers=bearer(keys.read))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    other = client.post("/v1/trusts/RZZ/attendances", json=body, headers=bearer(keys.write_rxx))
    assert other.status_code == 404
    for key in (keys.write, keys.admin):
        ok = client.post("/v1/trusts/RXX/attendances", json=body, headers=bearer(key))
        assert ok.status_code == 200, ok.text


# --- forecasts ----------------------------------------------------------------------------------


def test_forecast_defaults_to_14_days_from_tomorrow(
    client: TestClient, keys: Keys, run_id: str
) -> None:
    response = client.get("/v1/trusts/RXX/forecast", headers=bearer(keys.read))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["trust_code"] == "RXX" and body["run_id"] == run_id
    assert body["model"] == "ets" and body["model_version"] == "ets-v1"
    assert body["generated_at"] and body["as_of"] == TODAY.isoformat()
    check_days(body["days"], TOMORROW, 14)
    assert response.headers["x-run-id"] == run_id and response.headers["etag"]


@pytest.mark.parametrize(("offset", "days"), [(1, 1), (3, 7), (1, 42), (30, 13)])
@pytest.mark.usefixtures("run_id")
def test_forecast_serves_one_entry_per_requested_day(
    client: TestClient, keys: Keys, offset: int, days: int
) -> None:
    start = TODAY + timedelta(days=offset)
    response = client.get(
        "/v1/trusts/R1H/forecast",
        params={"start": start.isoformat(), "days": days},
        headers=bearer(keys.read),
    )
    assert response.status_code == 200, response.text
    check_days(response.json()["days"], start, days)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 0}, "days"),
        ({"days": 91}, "days"),
        ({"days": "many"}, "days"),
        ({"start": "2024-13-01"}, "start"),
        ({"start": TODAY.isoformat()}, "start"),  # the run starts tomorrow
        ({"days": 43}, "days"),  # past the run's horizon
    ],
)
@pytest.mark.usefixtures("run_id")
def test_bad_forecast_queries_are_422_naming_the_field(
    client: TestClient, keys: Keys, params: dict[str, object], field: str
) -> None:
    response = client.get("/v1/trusts/RXX/forecast", params=params, headers=bearer(keys.read))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input" and field in error["message"]


def test_etag_gives_304_and_changes_with_the_query_and_the_run(
    client: TestClient, store: Store, keys: Keys, run_id: str
) -> None:
    url, auth = "/v1/trusts/RXX/forecast", bearer(keys.read)
    first = client.get(url, headers=auth)
    tag = first.headers["etag"]
    assert run_id in tag and first.headers["cache-control"] == "private, no-cache"
    again = client.get(url, headers={**auth, "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert client.get(url, headers={**auth, "If-None-Match": '"other", ' + tag}).status_code == 304
    assert (
        client.get(url, params={"days": 7}, headers={**auth, "If-None-Match": tag}).status_code
        == 200
    )
    newer = store_run(store, TRUSTS, level=500.0)
    changed = client.get(url, headers={**auth, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["run_id"] == newer
    assert changed.headers["etag"] != tag


@pytest.mark.usefixtures("run_id")
def test_forecast_as_csv(client: TestClient, keys: Keys) -> None:
    auth = bearer(keys.read)
    by_accept = client.get(
        "/v1/trusts/RXX/forecast", params={"days": 3}, headers={**auth, "Accept": "text/csv"}
    )
    by_query = client.get(
        "/v1/trusts/RXX/forecast", params={"days": 3, "format": "csv"}, headers=auth
    )
    as_json = client.get(
        "/v1/trusts/RXX/forecast",
        params={"days": 3},
        headers={**auth, "Accept": "application/json, text/csv"},
    )
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text == by_query.text
    lines = by_accept.text.strip().splitlines()
    assert lines[0] == "trust_code,date,point,lo80,hi80,lo95,hi95,data_to,stale"
    assert len(lines) == 4
    assert lines[1].startswith(f"RXX,{TOMORROW.isoformat()},")
    assert lines[1].endswith(f",{TODAY.isoformat()},false")  # the run's as-of: fresh
    assert as_json.headers["content-type"] == "application/json"
    assert by_accept.headers["etag"] != as_json.headers["etag"]


@pytest.mark.usefixtures("run_id")
def test_a_trust_without_a_forecast_is_404_no_forecast(
    client: TestClient, store: Store, keys: Keys
) -> None:
    ingest_history(store, ["RNEW"])
    response = client.get("/v1/trusts/RNEW/forecast", headers=bearer(keys.read))
    assert response.status_code == 404 and response.json()["error"]["code"] == "no_forecast"


# --- actuals ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("run_id")
def test_posting_attendances_is_idempotent_and_stored(
    client: TestClient, store: Store, keys: Keys
) -> None:
    day = TODAY - timedelta(days=100)
    body = [
        {"date": day.isoformat(), "attendances": 311, "admissions": 80},
        {"date": (day + timedelta(days=1)).isoformat(), "attendances": 290},
    ]
    first = client.post("/v1/trusts/RXX/attendances", json=body, headers=bearer(keys.write))
    assert first.status_code == 200, first.text
    assert first.json() == {
        "trust_code": "RXX",
        "received": 2,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
    }
    again = client.post("/v1/trusts/RXX/attendances", json=body, headers=bearer(keys.write))
    assert again.json()["unchanged"] == 2 and again.json()["inserted"] == 0
    stored = store.read_attendances(["RXX"], start=day, end=day)
    assert stored.row(0, named=True)["attendances"] == 311


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"date": "2024-01-01", "attendances": -1}, "attendances"),
        ({"date": "2024-01-01", "attendances": "ten"}, "attendances"),
        ({"date": "01/01/2024", "attendances": 1}, "date"),
        ({"attendances": 1}, "date"),
        ({"date": (TODAY + timedelta(days=2)).isoformat(), "attendances": 1}, "date"),
    ],
)
@pytest.mark.usefixtures("run_id")
def test_bad_attendances_are_422_naming_the_field_and_nothing_is_written(
    client: TestClient, store: Store, keys: Keys, item: dict[str, object], field: str
) -> None:
    before = store.counts()
    response = client.post("/v1/trusts/RXX/attendances", json=[item], headers=bearer(keys.write))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] in ("invalid_input", "invalid_data")
    assert field in error["message"] and field in str(error["details"])
    assert store.counts() == before


@pytest.mark.usefixtures("run_id")
def test_duplicate_days_in_one_post_are_refused(client: TestClient, keys: Keys) -> None:
    body = [{"date": "2024-01-01", "attendances": 1}, {"date": "2024-01-01", "attendances": 2}]
    response = client.post("/v1/trusts/RXX/attendances", json=body, headers=bearer(keys.write))
    assert response.status_code == 422 and "duplicate" in response.json()["error"]["message"]


@pytest.mark.usefixtures("run_id")
def test_posting_temperature(client: TestClient, store: Store, keys: Keys) -> None:
    body = [{"date": (TODAY + timedelta(days=3)).isoformat(), "temperature_c": -4.5}]
    ok = client.post("/v1/trusts/R1H/temperature", json=body, headers=bearer(keys.write))
    assert ok.status_code == 200 and ok.json()["inserted"] == 1, ok.text
    assert store.read_temperature(["R1H"]).height == 1
    hot = client.post(
        "/v1/trusts/R1H/temperature",
        json=[{"date": "2024-07-01", "temperature_c": 75}],
        headers=bearer(keys.write),
    )
    assert hot.status_code == 422 and "temperature_c" in hot.json()["error"]["message"]
    empty = client.post("/v1/trusts/R1H/temperature", json=[], headers=bearer(keys.write))
    assert empty.status_code == 422


@pytest.mark.usefixtures("store")
@pytest.mark.usefixtures("run_id")
def test_a_body_over_the_limit_is_413(database_url: str, keys: Keys) -> None:
    body = [{"date": "2024-01-01", "temperature_c": 1.0}] * 50
    with make_client(database_url, max_body_bytes=500) as client:
        response = client.post("/v1/trusts/RXX/temperature", json=body, headers=bearer(keys.write))
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
        assert response.headers["x-request-id"]

        def chunks() -> Iterator[bytes]:
            yield b"[" + b'{"date": "2024-01-01", "temperature_c": 1.0},' * 20
            yield b'{"date": "2024-01-02", "temperature_c": 1.0}]'

        chunked = client.post(
            "/v1/trusts/RXX/temperature",
            content=chunks(),
            headers={**bearer(keys.write), "Content-Type": "application/json"},
        )
        assert chunked.status_code == 413


def test_posting_actuals_updates_live_accuracy(
    client: TestClient, store: Store, keys: Keys
) -> None:
    from store.runs import read_live_accuracy

    ingest_history(store, TRUSTS)
    store_run(store, TRUSTS, as_of=TODAY - timedelta(days=10))
    assert read_live_accuracy(store, "RXX").height == 0
    body = [
        {"date": (TODAY - timedelta(days=d)).isoformat(), "attendances": 300 + d}
        for d in range(1, 10)
    ]
    response = client.post("/v1/trusts/RXX/attendances", json=body, headers=bearer(keys.write))
    assert response.status_code == 200, response.text
    live = read_live_accuracy(store, "RXX")
    assert live.height > 0 and live["n"].sum() > 0
    metrics = client.get("/metrics").text
    assert 'aef_live_mae{horizon="1",trust_code="RXX"}' in metrics
    assert 'aef_live_coverage80{horizon="7",trust_code="RXX"}' in metrics


def test_key_use_is_recorded_by_shutdown(database_url: str, store: Store, keys: Keys) -> None:
    from store.keys import find_key

    with make_client(database_url) as client:
        assert client.get("/v1/trusts", headers=bearer(keys.read)).status_code == 200
    found = find_key(store, keys.read[4:12])
    assert found is not None and found.last_used_at is not None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reads_go_on_from_memory_while_the_database_is_away(
    client: TestClient, database_url: str, keys: Keys, run_id: str
) -> None:
    url = "/v1/trusts/RXX/forecast"
    assert client.get(url, headers=bearer(keys.read)).status_code == 200
    path = Path(database_url.removeprefix("sqlite:///"))
    path.rename(path.with_name("away.db"))
    try:
        served = client.get(url, headers=bearer(keys.read))
        assert served.status_code == 200 and served.json()["run_id"] == run_id
        assert client.get("/readyz").status_code == 503
        write = client.post(
            "/v1/trusts/RXX/temperature",
            json=[{"date": "2024-01-01", "temperature_c": 1.0}],
            headers=bearer(keys.write),
        )
        assert write.status_code == 503 and write.json()["error"]["code"] == "store_unavailable"
        assert str(path.parent) not in write.text
    finally:
        path.with_name("away.db").rename(path)
    assert client.get("/readyz").status_code == 200
