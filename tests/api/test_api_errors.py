"""The envelope of every response: error bodies, request ids, security headers, OpenAPI.

No database is needed: an app on an unreachable database still answers these.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import create_app
from api.serving import ServingCache
from contract.settings import Settings

with warnings.catch_warnings():  # Starlette prefers httpx2 to the httpx we install; same client
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SECRET_DETAIL = "SELECT * FROM api_keys WHERE /srv/aeforecast/var/secret.db"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """An app whose SQLite file does not exist: every database access fails."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'nothing.db'}")
    with TestClient(create_app(settings), raise_server_exceptions=False) as opened:
        yield opened


def test_every_response_has_a_request_id_and_security_headers(client: TestClient) -> None:
    for response in (client.get("/healthz"), client.get("/nowhere"), client.get("/v1/trusts")):
        assert len(response.headers["x-request-id"]) == 32
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"


def test_a_sane_incoming_request_id_is_kept_and_an_insane_one_replaced(
    client: TestClient,
) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "rota-42.abc:7"})
    assert kept.headers["x-request-id"] == "rota-42.abc:7"
    for bad in ("has space", "x" * 129, "new\\nline", "<script>"):
        replaced = client.get("/healthz", headers={"X-Request-ID": bad})
        assert (
            replaced.headers["x-request-id"] != bad and len(replaced.headers["x-request-id"]) == 32
        )


def test_the_access_log_line_carries_the_request_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="aeforecast.access"):
        client.get("/healthz", headers={"X-Request-ID": "trace-me-1"})
    lines = [r for r in caplog.records if r.name == "aeforecast.access"]
    fields = lines[-1].fields  # type: ignore[attr-defined]
    assert fields["request_id"] == "trace-me-1" and fields["status"] == 200
    assert fields["route"] == "/healthz" and fields["duration_ms"] >= 0


def test_unknown_paths_and_methods_use_the_error_body(client: TestClient) -> None:
    missing = client.get("/v2/anything")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = client.delete("/healthz")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_an_unreachable_database_is_503_without_details(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "store_unavailable"
    assert "nothing.db" not in response.text and "missing" not in response.text
    # a key check needs the database too
    token = "aef_abcdefgh_" + "a" * 43
    authed = client.get("/v1/trusts", headers={"Authorization": f"Bearer {token}"})
    assert authed.status_code == 503 and "nothing.db" not in authed.text


def test_an_unexpected_error_is_a_generic_500_logged_with_the_request_id(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(_self: ServingCache) -> None:
        raise RuntimeError(SECRET_DETAIL)

    monkeypatch.setattr(ServingCache, "snapshot", broken)
    monkeypatch.setattr("api.auth.KeyCache.authenticate", _any_key)
    token = "aef_abcdefgh_" + "a" * 43
    with caplog.at_level(logging.ERROR):
        crashed = client.get(
            "/v1/trusts/RXX/forecast",
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "boom-2"},
        )
    assert crashed.status_code == 500, crashed.text
    body = crashed.json()
    assert body["error"]["code"] == "internal_error"
    assert "SELECT" not in crashed.text and "Traceback" not in crashed.text
    assert crashed.headers["x-request-id"] == "boom-2"
    logged = [r for r in caplog.records if getattr(r, "fields", {}).get("request_id") == "boom-2"]
    assert logged and SECRET_DETAIL in logged[0].getMessage() + str(logged[0].exc_info)


async def _any_key(_self: object, _token: str | None) -> object:
    from datetime import UTC, datetime

    from store.keys import KeyRecord

    return KeyRecord("id", "test", "abcdefgh", "", "admin", None, datetime.now(UTC), None, None)


def test_a_malformed_json_body_is_422(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.auth.KeyCache.authenticate", _any_key)
    response = client.post(
        "/v1/trusts/RXX/attendances",
        content=b"[{not json",
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_input"


CONTRACT_PATHS = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/v1/trusts"),
    ("get", "/v1/trusts/{trust_code}/forecast"),
    ("post", "/v1/trusts/{trust_code}/attendances"),
    ("post", "/v1/trusts/{trust_code}/temperature"),
}


def test_openapi_describes_every_contract_endpoint_with_errors_and_examples(
    client: TestClient,
) -> None:
    document = client.get("/openapi.json").json()
    operations = {
        (method, path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
    }
    assert CONTRACT_PATHS <= set(operations)
    for (method, path), op in operations.items():
        assert op.get("summary") and op.get("description"), (method, path)
        if path.startswith("/v1/"):
            assert op["security"] == [{"HTTPBearer": []}]
            statuses = (
                ("401", "403", "503") if path == "/v1/trusts" else ("401", "403", "422", "503")
            )
            for status in statuses:
                schema = op["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (path, status)
                assert op["responses"][status]["content"]["application/json"]["example"]
    forecast = operations[("get", "/v1/trusts/{trust_code}/forecast")]
    assert {"200", "304", "404"} <= set(forecast["responses"])
    assert "text/csv; charset=utf-8" in forecast["responses"]["200"]["content"]
    days = next(p for p in forecast["parameters"] if p["name"] == "days")
    [counted] = [s for s in days["schema"]["anyOf"] if s.get("type") == "integer"]  # or null
    assert counted["maximum"] == 90 and counted["minimum"] == 1 and not days["required"]
    schemas = document["components"]["schemas"]
    assert schemas["AttendanceIn"]["examples"] and schemas["ForecastDay"]["properties"]["point"]
    assert json.dumps(document)  # serialisable as served
