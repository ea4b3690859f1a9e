"""The key cache while the database is away: a key checked recently keeps reading, but a key
revoked just before an outage stops within the grace period, not minutes later (issue 25)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from api.auth import KeyCache
from contract.errors import AuthenticationError, StoreUnavailableError
from store import Store
from store.keys import create_key, revoke_key


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("grace", [30.0, 0.0])
def test_a_key_revoked_before_an_outage_stops_within_the_grace(
    store: Store, database_url: str, grace: float
) -> None:
    token = create_key(store, "rota", "read").token
    clock = Clock()
    keys = KeyCache(store, ttl=5.0, grace=grace, clock=clock)
    check = lambda: asyncio.run(keys.authenticate(token))  # noqa: E731
    assert check().name == "rota"  # the row is cached now
    revoke_key(store, token[4:12])  # revoked, but this process has not looked since
    path = Path(database_url.removeprefix("sqlite:///"))
    path.rename(path.with_name("away.db"))  # and the database goes away
    try:
        clock.now += 6  # past the ttl: the cache asks the database, which is away
        if grace:
            assert check().name == "rota"  # served from the cached row, within the grace
        clock.now += grace
        with pytest.raises(StoreUnavailableError):
            check()  # past the grace: 503, never minutes of a revoked key
    finally:
        path.with_name("away.db").rename(path)
    clock.now += 1
    with pytest.raises(AuthenticationError, match="invalid or revoked"):
        check()  # the database is back and says so
