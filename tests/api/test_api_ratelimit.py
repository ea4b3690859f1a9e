"""Rate limiting: the token bucket itself, then the API's 429 with Retry-After, per key and per
address of failed key checks, and that the default leaves a rostering tool's burst alone."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():  # Starlette prefers httpx2 to the httpx we install; same client
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from support.api_world import TRUSTS, bearer, ingest_history, store_run

from api.app import create_app
from api.ratelimit import TokenBuckets, retry_after
from contract.errors import RateLimitedError
from contract.settings import Settings
from store import Store
from store.keys import create_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)
    assert [buckets.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("k") == pytest.approx(1.0)
    assert buckets.take("other") == 0.0  # buckets are per name
    clock.now += 0.5
    assert buckets.take("k") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.take("k") == 0.0
    clock.now += 3600
    assert [buckets.take("k") for _ in range(4)][-1] > 0  # refills to the burst, no further


def test_a_limited_name_raises_with_whole_seconds_to_wait() -> None:
    buckets = TokenBuckets(per_minute=6, burst=1, clock=Clock())
    buckets.check("k", "key k")
    with pytest.raises(RateLimitedError, match="too many requests from key k") as raised:
        buckets.check("k", "key k")
    assert raised.value.retry_after == 10
    assert retry_after(0.01) == 1 and retry_after(2.2) == 3


def test_zero_per_minute_switches_limiting_off() -> None:
    buckets = TokenBuckets(per_minute=0, burst=1)
    assert all(buckets.take("k") == 0.0 for _ in range(1000))


@pytest.fixture
def limited(store: Store, database_url: str) -> Iterator[TestClient]:
    ingest_history(store, TRUSTS)
    store_run(store, TRUSTS)
    settings = Settings(database_url=database_url, rate_limit_per_minute=60, rate_limit_burst=3)
    app = create_app(settings, refresh_seconds=0, key_ttl_seconds=0)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_key_over_its_limit_gets_429_with_retry_after(limited: TestClient, store: Store) -> None:
    first, second = create_key(store, "a", "read").token, create_key(store, "b", "read").token
    for _ in range(3):
        assert limited.get("/v1/trusts/RXX/forecast", headers=bearer(first)).status_code == 200
    refused = limited.get("/v1/trusts/RXX/forecast", headers=bearer(first))
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json() == {"error": {"code": "rate_limited", "message": refused.json()[
        "error"]["message"]}}
    assert "retry after 1 s" in refused.json()["error"]["message"]
    assert refused.headers["x-request-id"] and refused.headers["cache-control"] == "no-store"
    assert limited.get("/v1/trusts", headers=bearer(second)).status_code == 200  # per key
    assert limited.get("/healthz").status_code == 200  # operations are not limited


def test_failed_key_checks_are_limited_per_address_but_good_keys_go_on(
    limited: TestClient, store: Store
) -> None:
    good = create_key(store, "good", "read").token
    unknown = bearer("aef_nosuchke_" + "a" * 43)
    statuses = [limited.get("/v1/trusts", headers=unknown).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert limited.get("/v1/trusts").status_code == 429  # no key at all: the same address
    assert limited.get("/v1/trusts", headers=bearer(good)).status_code == 200


def test_the_default_lets_a_whole_trust_list_refresh_through(database_url: str,
                                                             store: Store) -> None:
    codes = [f"R{i:02d}" for i in range(50)]
    store_run(store, codes)
    key = create_key(store, "rota", "read").token
    app = create_app(Settings(database_url=database_url), refresh_seconds=0, key_ttl_seconds=60)
    with TestClient(app) as client:
        statuses = {
            client.get(f"/v1/trusts/{codes[i % 50]}/forecast", headers=bearer(key)).status_code
            for i in range(200)
        }
    assert statuses == {200}
    defaults = Settings()
    assert defaults.rate_limit_burst >= 150 and defaults.rate_limit_per_minute > 0


def test_a_full_table_evicts_the_least_recently_used_never_a_throttled_client() -> None:
    """A flood of new names once cleared every bucket, a throttled client's with them."""
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=2, clock=clock, max_buckets=3)
    assert [buckets.take("guesser") for _ in range(2)] == [0.0, 0.0]
    assert buckets.take("guesser") > 0  # throttled
    for name in ("a", "b"):
        buckets.take(name)
    buckets.take("guesser")  # still trying: the most recently used
    for name in ("c", "d", "e"):  # the flood
        buckets.take(name)
        assert buckets.take("guesser") > 0, name  # never handed a fresh bucket
    assert "a" not in buckets._buckets and "b" not in buckets._buckets
