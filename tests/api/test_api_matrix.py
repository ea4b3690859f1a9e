"""Every endpoint x every credential x every trust restriction -> the status it must get.

The endpoints come from the app's own route table: a route added later is covered at once, or
fails `test_every_route_is_classified` until it is given a policy here. The whole matrix runs
in process on both backends; a slice of it runs over real HTTP against `aeforecast serve`.

    credential            none, malformed, unknown, revoked, read, write, admin
    restriction           unrestricted, or limited to RXX (own trust RXX, other trust R1H)
    expected              public: 200; no valid key: 401; scope too low: 403;
                          a trust the key may not see or that does not exist: 404, one body
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI
from support.live_server import serve

with warnings.catch_warnings():  # Starlette prefers httpx2 to the httpx we install; same client
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from support.api_world import TRUSTS, ingest_history, store_run

from api.app import create_app
from contract.keys import Scope, scope_allows
from contract.settings import Settings
from store import Store
from store.keys import create_key, revoke_key

Target = Literal["own", "other", "unknown"]
OWN, OTHER, UNKNOWN = "RXX", "R1H", "RQQ"  # the restricted keys may see RXX only
TRUST_OF: dict[Target, str] = {"own": OWN, "other": OTHER, "unknown": UNKNOWN}
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Policy:
    scope: Scope | None  # None: no key needed
    per_trust: bool = False  # the path names a trust
    html: bool = False  # a page for people: its errors are pages too, not the JSON body
    ok: int = 200
    per_node: bool = False  # the path names a hierarchy node (none in this matrix's run: 404)


PUBLIC = Policy(None)
POLICIES: dict[tuple[str, str], Policy] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/v1/trusts"): Policy("read"),
    ("GET", "/v1/trusts/{trust_code}/forecast"): Policy("read", per_trust=True),
    ("GET", "/v1/trusts/{trust_code}/forecast/hourly"): Policy("read", per_trust=True),
    ("POST", "/v1/trusts/{trust_code}/attendances"): Policy("write", per_trust=True),
    ("POST", "/v1/trusts/{trust_code}/temperature"): Policy("write", per_trust=True),
    ("GET", "/v1/trusts/{trust_code}/thresholds"): Policy("read", per_trust=True),
    ("PUT", "/v1/trusts/{trust_code}/thresholds"): Policy("admin", per_trust=True),
    ("GET", "/v1/trusts/{trust_code}/alerts"): Policy("read", per_trust=True),
    ("POST", "/v1/trusts/{trust_code}/forecast/scenario"): Policy("read", per_trust=True),
    ("GET", "/dashboard"): Policy("read", html=True),
    ("GET", "/dashboard/{trust_code}"): Policy("read", per_trust=True, html=True),
    ("GET", "/dashboard/logout"): Policy(None, html=True, ok=303),
    ("GET", "/dashboard/static/dashboard.css"): Policy(None, html=True),
    ("GET", "/v1/ics/{code}/forecast"): Policy("read", per_node=True),
    ("GET", "/v1/regions/{code}/forecast"): Policy("read", per_node=True),
    ("GET", "/v1/nations/{code}/forecast"): Policy("read", per_node=True),
    ("GET", "/v1/sites/{code}/forecast"): Policy("read", per_node=True),
}
BODIES: dict[str, Any] = {
    "/v1/trusts/{trust_code}/attendances": [{"date": YESTERDAY, "attendances": 301}],
    "/v1/trusts/{trust_code}/temperature": [{"date": YESTERDAY, "temperature_c": 4.5}],
    "/v1/trusts/{trust_code}/thresholds": {"thresholds": [{"name": "red", "attendances": 360}]},
    "/v1/trusts/{trust_code}/forecast/scenario": {"temperatures": [
        {"date": (date.today() + timedelta(days=1)).isoformat(), "temperature_c": 30.0}]},
}


@dataclass(frozen=True)
class Credential:
    name: str
    token: str | None
    scope: Scope | None  # None: not a usable key
    restricted: bool = False


@dataclass(frozen=True)
class Cell:
    method: str
    path: str
    credential: Credential
    target: Target | None

    @property
    def url(self) -> str:
        return self.path.replace("{trust_code}", TRUST_OF[self.target or "own"]).replace(
            "{code}", "Y56")


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path template) of every route the app answers, HEAD aside. FastAPI 0.16x keeps
    included routers as one entry each; `iter_route_contexts` flattens them (older: no need)."""
    flatten = getattr(fastapi.routing, "iter_route_contexts", list)
    return {
        (method, route.path)
        for route in flatten(app.routes)
        for method in getattr(route, "methods", None) or ()
        if method != "HEAD"
    }


def expected(cell: Cell) -> int:
    policy, credential = POLICIES[(cell.method, cell.path)], cell.credential
    if policy.scope is None:
        return policy.ok
    if credential.scope is None:
        return 401
    if not scope_allows(credential.scope, policy.scope):
        return 403
    if policy.per_node:  # node keys and visibility: tests/e2e/test_hierarchy_serve.py
        return 404
    hidden = cell.target == "unknown" or (cell.target == "other" and credential.restricted)
    return 404 if policy.per_trust and hidden else policy.ok


def cells(routes: set[tuple[str, str]], credentials: list[Credential]) -> Iterator[Cell]:
    for method, path in sorted(routes):
        targets: list[Target | None] = (
            ["own", "other", "unknown"] if POLICIES[(method, path)].per_trust else [None]
        )
        for credential in credentials:
            for target in targets:
                yield Cell(method, path, credential, target)


def make_credentials(store: Store) -> list[Credential]:
    revoked = create_key(store, "revoked admin", "admin")
    revoke_key(store, revoked.record.prefix)
    made = [
        Credential("none", None, None),
        Credential("malformed", "not-a-key", None),
        Credential("unknown", "aef_nosuchke_" + "a" * 43, None),
        Credential("revoked admin", revoked.token, None),
    ]
    for scope in ("read", "write", "admin"):
        made.append(Credential(scope, create_key(store, scope, scope).token, scope))
        limited = create_key(store, f"{scope} RXX", scope, [OWN]).token
        made.append(Credential(f"{scope} RXX-only", limited, scope, restricted=True))
    return made


def probe(client: httpx.Client, cell: Cell) -> httpx.Response:
    token = cell.credential.token
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    body = BODIES.get(cell.path) if cell.method in ("POST", "PUT") else None
    return client.request(cell.method, cell.url, headers=headers, json=body,
                          follow_redirects=False)


def check(client: httpx.Client, all_cells: list[Cell]) -> list[str]:
    """Every cell's status; 404 bodies the same for other and unknown trusts; error bodies."""
    wrong, not_found = [], {}
    for cell in all_cells:
        response = probe(client, cell)
        want = expected(cell)
        if response.status_code != want:
            wrong.append(f"{cell.method} {cell.url} as {cell.credential.name}: "
                         f"{response.status_code}, expected {want}: {response.text[:120]}")
        elif want >= 400 and not POLICIES[(cell.method, cell.path)].html:
            body = response.json()
            assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
            if want == 404:
                trust = TRUST_OF[cell.target or "own"]
                not_found[(cell.method, cell.path, cell.credential.name, cell.target)] = (
                    body["error"]["message"].replace(trust, "<trust>"), body["error"]["code"]
                )
    for (method, path, name, target), body in not_found.items():
        if target == "other":
            assert body == not_found[(method, path, name, "unknown")], (method, path, name)
    return wrong


@pytest.fixture
def credentials(store: Store) -> list[Credential]:
    ingest_history(store, TRUSTS)
    store_run(store, TRUSTS)
    return make_credentials(store)


def test_every_route_is_classified(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    routes = app_routes(app)
    unclassified = routes - set(POLICIES)
    assert not unclassified, f"give these routes a policy in POLICIES: {sorted(unclassified)}"
    assert set(POLICIES) == routes, f"routes gone: {sorted(set(POLICIES) - routes)}"
    for (_method, path), policy in POLICIES.items():
        if path.startswith("/v1/"):
            assert policy.scope is not None and not policy.html, path


def test_the_whole_matrix_in_process(database_url: str, credentials: list[Credential]) -> None:
    app = create_app(Settings(database_url=database_url), refresh_seconds=0, key_ttl_seconds=0)
    all_cells = list(cells(app_routes(app), credentials))
    assert len(all_cells) >= 150
    with TestClient(app, raise_server_exceptions=False) as client:
        wrong = check(client, all_cells)
    assert not wrong, "\n".join(wrong)


@pytest.mark.slow
def test_a_slice_of_the_matrix_over_real_http(
    database_url: str, credentials: list[Credential], tmp_path: Path
) -> None:
    app = create_app(Settings(database_url=database_url))
    slice_of = {"none", "revoked admin", "read RXX-only", "write", "admin RXX-only"}
    chosen = [c for c in credentials if c.name in slice_of]
    some = [c for c in cells(app_routes(app), chosen) if c.path.startswith("/v1/")]
    with serve(database_url, tmp_path) as url, httpx.Client(base_url=url, timeout=10) as client:
        wrong = check(client, some)
    assert not wrong, "\n".join(wrong)


def test_every_v1_operation_documents_the_shared_errors(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    document = app.openapi()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            shared = {"401", "429"} | ({"415"} if "requestBody" in operation else set())
            if not path.startswith("/v1/"):
                continue
            assert shared <= set(responses), (method, path)
            limited = responses["429"]
            assert limited["headers"]["Retry-After"]["schema"]["type"] == "integer"
            schema = limited["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
