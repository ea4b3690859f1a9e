"""Who is calling: a bearer key checked against the database, remembered for a few seconds.

A key's row is cached per process for `ttl` seconds (revoking a key takes effect within that
time), unknown prefixes too, so a flood of bad keys does not become a flood of queries. While
the database is unreachable a cached row stands in for it only while the row is at most
`grace` seconds old (default 30): forecast reads, served from memory, ride out a database
restart or failover, but a key revoked just before an outage stops working within seconds, not
minutes (the cache cannot learn of a revocation while the database is away). The
secret is checked against the stored hash on every request (constant time). When each key was
last used is written at most once per `touch_seconds`, in the background, off the request path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import anyio.to_thread

from contract.errors import AuthenticationError, StoreUnavailableError
from contract.keys import parse_key, secret_matches
from store import Store
from store.keys import KeyRecord, find_key, touch_keys

log = logging.getLogger("aeforecast.api")
MAX_CACHED = 10_000
GRACE_SECONDS = 30.0  # how old a cached key row may be and still stand in for the database
INVALID = "invalid or revoked API key"


class KeyCache:
    def __init__(self, store: Store, ttl: float = 5.0, touch_seconds: float = 60.0,
                 grace: float = GRACE_SECONDS, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.store, self.ttl, self.touch_seconds = store, ttl, touch_seconds
        self.grace, self.clock = grace, clock
        self._rows: dict[str, tuple[KeyRecord | None, float]] = {}
        self._used: dict[str, datetime] = {}
        self._touched = time.monotonic()
        self._touch_task: asyncio.Task[None] | None = None

    async def authenticate(self, token: str | None) -> KeyRecord:
        """The key's record; AuthenticationError for a missing, malformed, wrong or revoked key."""
        if not token:
            raise AuthenticationError("missing API key: send 'Authorization: Bearer <key>'")
        parsed = parse_key(token)
        if parsed is None:
            raise AuthenticationError(INVALID)
        record = await self._lookup(parsed.prefix)
        if record is None or not record.active:
            raise AuthenticationError(INVALID)
        if not secret_matches(parsed.secret, record.key_hash):
            raise AuthenticationError(INVALID)
        if record.expired():  # said only to whoever holds the secret
            assert record.expires_at is not None
            raise AuthenticationError(f"this API key expired at {record.expires_at:%Y-%m-%d %H:%M} "
                                      "UTC; ask for a new one")
        self._note_use(record)
        return record

    async def _lookup(self, prefix: str) -> KeyRecord | None:
        cached = self._rows.get(prefix)
        now = self.clock()
        if cached is not None and now - cached[1] < self.ttl:
            return cached[0]
        try:
            record = await anyio.to_thread.run_sync(find_key, self.store, prefix)
        except StoreUnavailableError:
            if cached is None or now - cached[1] > self.grace:
                raise
            log.warning("database unavailable: key %s checked against its cached row", prefix)
            return cached[0]  # reads keep being served from memory while the database is away
        if len(self._rows) >= MAX_CACHED:
            self._rows.clear()
        self._rows[prefix] = (record, now)
        return record

    def _note_use(self, record: KeyRecord) -> None:
        self._used[record.key_id] = datetime.now(UTC)
        if time.monotonic() - self._touched < self.touch_seconds:
            return
        if self._touch_task is not None and not self._touch_task.done():
            return
        self._touched = time.monotonic()
        used, self._used = self._used, {}
        self._touch_task = asyncio.create_task(self._touch(used))

    async def _touch(self, used: dict[str, datetime]) -> None:
        try:
            await anyio.to_thread.run_sync(touch_keys, self.store, used, max(used.values()))
        except Exception as exc:  # bookkeeping only: never fail a request over it
            log.warning("could not record API key use: %s", exc)

    async def flush(self) -> None:
        """Write pending last-use times now (shutdown)."""
        if self._touch_task is not None:
            await self._touch_task
        if self._used:
            used, self._used = self._used, {}
            await self._touch(used)
