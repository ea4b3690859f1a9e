"""Behind a proxy: the client address is the right-most one a client cannot write, so the
failed-key throttle cannot be dodged by sending one's own X-Forwarded-For (issue 25 item 7)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette prefers httpx2 to the httpx we install; same client
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

import httpx
from support.live_server import serve_env

from api.app import create_app
from api.forwarded import TrustedProxies
from contract.errors import InputError
from contract.settings import Settings

PROXY = "10.0.0.2"


def test_only_a_trusted_peer_is_believed_and_only_from_the_right() -> None:
    listed = TrustedProxies.parse("127.0.0.1, 10.0.0.0/8")
    assert listed.client("203.0.113.9", ["1.1.1.1"]) == "203.0.113.9"  # no proxy: its own
    assert listed.client(PROXY, ["6.6.6.6, 198.51.100.7"]) == "198.51.100.7"
    assert listed.client(PROXY, ["6.6.6.6", "198.51.100.7, 10.0.0.9"]) == "198.51.100.7"
    assert listed.client(PROXY, ["10.0.0.8, 10.0.0.9"]) == "10.0.0.8"  # all proxies
    assert listed.client(PROXY, []) == PROXY
    assert listed.client(PROXY, ["[2001:db8::1]:443"]) == "2001:db8::1"
    assert listed.client(PROXY, ["198.51.100.7:5555"]) == "198.51.100.7"
    anyone = TrustedProxies.parse("*")
    assert anyone.client("203.0.113.9", ["6.6.6.6, 198.51.100.7"]) == "198.51.100.7"


def test_a_bad_proxy_list_names_the_value() -> None:
    with pytest.raises(InputError, match="'10.0.0.300' is not an IP address or network"):
        TrustedProxies.parse("127.0.0.1,10.0.0.300")


@pytest.fixture(params=["*", "10.0.0.0/8"])
def behind_a_proxy(request: pytest.FixtureRequest, database_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, rate_limit_per_minute=60, rate_limit_burst=3,
                        forwarded_allow_ips=request.param)
    app = create_app(settings, refresh_seconds=0, key_ttl_seconds=0)
    with TestClient(app, raise_server_exceptions=False, client=(PROXY, 40000)) as client:
        yield client


def test_a_client_cannot_dodge_the_failed_key_throttle(behind_a_proxy: TestClient) -> None:
    def attempt(spoofed: int) -> int:
        headers = {"Authorization": "Bearer aef_wrongkey_xxxxxxxx",
                   "X-Forwarded-For": f"192.0.2.{spoofed}, 198.51.100.7"}
        return behind_a_proxy.get("/v1/trusts", headers=headers).status_code

    assert [attempt(i) for i in range(3)] == [401, 401, 401]
    assert attempt(3) == 429  # the proxy saw 198.51.100.7 each time, whatever it claimed
    other = {"Authorization": "Bearer aef_wrongkey_xxxxxxxx", "X-Forwarded-For": "198.51.100.8"}
    assert behind_a_proxy.get("/v1/trusts", headers=other).status_code == 401  # its own bucket


def test_a_real_server_under_star_believes_only_the_nearest_hop(tmp_path: Path) -> None:
    """uvicorn's own handling took the left-most address under '*': one a client writes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEF_")}
    env.update(AEF_DATABASE_URL=f"sqlite:///{tmp_path / 'aeforecast.db'}",
               AEF_FORWARDED_ALLOW_IPS="*", AEF_RATE_LIMIT_PER_MINUTE="60",
               AEF_RATE_LIMIT_BURST="3")
    with serve_env(env, tmp_path, until="/healthz") as url:
        statuses = [httpx.get(f"{url}/v1/trusts", headers={
            "Authorization": "Bearer aef_wrongkey_xxxxxxxx",
            "X-Forwarded-For": f"192.0.2.{i}, 198.51.100.7"}).status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
