"""Trusts' hourly arrival profiles, computed from the store and kept per process.

A profile changes only when hourly arrivals are ingested, so each is kept with the extent of
the data it came from (newest hour, last write) and rebuilt only when a check, at most every
`ttl` seconds, finds that extent moved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import anyio.to_thread

from forecast.hourly_profile import PROFILE_WEEKS, HourlyProfile, default_profile, estimate_profile
from store import HourlyExtent, Store


@dataclass(frozen=True)
class _Cached:
    profile: HourlyProfile
    extent: HourlyExtent | None
    checked_at: float


class ProfileCache:
    def __init__(self, store: Store, ttl: float = 30.0) -> None:
        self.store, self.ttl = store, ttl
        self._items: dict[str, _Cached] = {}

    async def get(self, trust_code: str) -> HourlyProfile:
        """The trust's profile, its own where hourly arrivals were ingested, else the default."""
        cached = self._items.get(trust_code)
        if cached is not None and time.monotonic() - cached.checked_at < self.ttl:
            return cached.profile
        fresh = await anyio.to_thread.run_sync(self._load, trust_code, cached)
        self._items[trust_code] = fresh
        return fresh.profile

    def _load(self, trust_code: str, cached: _Cached | None) -> _Cached:
        extent = self.store.hourly_extent(trust_code)
        now = time.monotonic()
        if cached is not None and cached.extent == extent:
            return _Cached(cached.profile, extent, now)
        if extent is None:
            return _Cached(default_profile(), None, now)
        start = extent.latest_hour - timedelta(weeks=PROFILE_WEEKS, days=2)
        hourly = self.store.read_arrivals_hourly(trust_code, start=start)
        return _Cached(estimate_profile(hourly), extent, now)
