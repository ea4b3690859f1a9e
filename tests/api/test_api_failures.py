"""Over real HTTP, every way a request can fail gets the contract's error body and nothing else:
`{"error": {"code", "message"}}` (+ `details` for invalid input), JSON, with the request id and
the security headers, and no trace of the server's insides."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from support.api_world import TRUSTS, bearer, ingest_history, store_run
from support.live_server import serve

from store import Store
from store.keys import create_key

pytestmark = pytest.mark.slow
BURST = 20
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
LEAKS = ("Traceback", "sqlalchemy", "SELECT", "/tmp/", ".py", "uvicorn", "starlette")


@dataclass(frozen=True)
class Live:
    client: httpx.Client
    read: dict[str, str]
    write: dict[str, str]
    spare: dict[str, str]  # for using up a rate limit



@pytest.fixture
def live(store: Store, database_url: str, tmp_path: Path) -> Iterator[Live]:
    ingest_history(store, TRUSTS)
    store_run(store, TRUSTS)
    tokens = [create_key(store, name, scope).token
              for name, scope in (("r", "read"), ("w", "write"), ("s", "read"))]
    limits = {"rate_limit_burst": str(BURST), "rate_limit_per_minute": "6"}
    with serve(database_url, tmp_path, **limits) as url, \
            httpx.Client(base_url=url, timeout=10) as client:
        yield Live(client, *(bearer(t) for t in tokens))


def assert_contract_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "details"}, body
    assert body["error"]["code"] == code and body["error"]["message"], body
    assert len(response.headers["x-request-id"]) >= 1
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert not any(leak in response.text for leak in LEAKS), response.text


ATTENDANCES = "/v1/trusts/RXX/attendances"
JSON = {"Content-Type": "application/json"}


def test_every_failure_gets_the_contract_body(live: Live) -> None:
    """One server per backend for all of them: starting one costs seconds."""
    routing_failures(live)
    key_failures(live)
    body_failures(live)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        body_not_declared_json(live, content_type)
    rate_limited(live)


def routing_failures(live: Live) -> None:
    assert_contract_error(live.client.get("/v2/anything"), 404, "not_found")
    assert_contract_error(live.client.get("/v1/trusts/..%2F..%2Fetc/forecast", headers=live.read),
                          404, "not_found")
    assert_contract_error(live.client.delete("/v1/trusts", headers=live.read), 405,
                          "method_not_allowed")
    assert_contract_error(live.client.patch("/healthz"), 405, "method_not_allowed")


def key_failures(live: Live) -> None:
    assert_contract_error(live.client.get("/v1/trusts"), 401, "unauthenticated")
    bad = bearer("aef_nosuchke_" + "a" * 43)
    assert_contract_error(live.client.get("/v1/trusts", headers=bad), 401, "unauthenticated")
    refused = live.client.post(ATTENDANCES, json=[{"date": "2024-01-01", "attendances": 1}],
                               headers=live.read)
    assert_contract_error(refused, 403, "forbidden")
    hidden = live.client.get("/v1/trusts/RQQ/forecast", headers=live.read)
    assert_contract_error(hidden, 404, "not_found")


def body_failures(live: Live) -> None:
    post = live.client.post
    malformed = post(ATTENDANCES, content=b"[{not json", headers={**live.write, **JSON})
    assert_contract_error(malformed, 422, "invalid_input")
    undecodable = post(ATTENDANCES, content=b"\xff\xfe[", headers={**live.write, **JSON})
    assert_contract_error(undecodable, 422, "invalid_input")
    nested = post(ATTENDANCES, content=b"[" * 5000 + b"]" * 5000, headers={**live.write, **JSON})
    assert_contract_error(nested, 422, "invalid_input")
    wrong_type = post(ATTENDANCES, json=[{"date": "2024-01-01", "attendances": "many"}],
                      headers=live.write)
    assert_contract_error(wrong_type, 422, "invalid_input")
    assert wrong_type.json()["error"]["details"][0]["field"] == "body[0].attendances"
    query = live.client.get("/v1/trusts/RXX/forecast?days=0", headers=live.read)
    assert_contract_error(query, 422, "invalid_input")
    too_big = post(ATTENDANCES, content=b"[" + b" " * 1_100_000 + b"]",
                   headers={**live.write, **JSON})
    assert_contract_error(too_big, 413, "payload_too_large")


def body_not_declared_json(live: Live, content_type: str | None) -> None:
    headers = {**live.write, **({"Content-Type": content_type} if content_type else {})}
    body = b'[{"date": "2024-01-01", "attendances": 1}]'
    response = live.client.post(ATTENDANCES, content=body, headers=headers)
    assert_contract_error(response, 415, "unsupported_media_type")
    assert "application/json" in response.json()["error"]["message"]


def rate_limited(live: Live) -> None:
    statuses = [live.client.get("/v1/trusts", headers=live.spare).status_code
                for _ in range(BURST)]
    assert statuses == [200] * BURST
    limited = live.client.get("/v1/trusts/RXX/forecast", headers=live.spare)
    assert_contract_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 10  # 6 a minute: one every 10 s
    assert live.client.get("/v1/trusts", headers=live.read).status_code == 200
