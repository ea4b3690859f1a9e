"""Per-key rate limiting: a token bucket for each API key, and one per client address for
failed key checks. Over the limit the answer is 429 with `Retry-After` (api.errors).

    a valid key          one bucket per key: `burst` requests at once, refilled at
                         `per_minute` a minute (defaults 300 and 600: a rostering tool that
                         refreshes 150 trusts at once and then polls every few minutes never
                         meets it; a runaway loop does, within a second)
    a missing/bad key    one bucket per client address, charged only by failures, so a
                         guessing client is slowed before it costs a database lookup

Buckets live in the worker process: with N workers a key may get up to N times the limit. For
one global limit put nginx in front (`limit_req_zone $http_authorization ...`;
see docs/reliability.md).
`per_minute` 0 switches limiting off. Checking a bucket is a dict lookup and some arithmetic:
it costs the hot path well under a microsecond.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from contract.errors import RateLimitedError

MAX_BUCKETS = 100_000  # a flood of distinct addresses cannot grow memory without bound


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """Named token buckets of one size and refill rate."""

    def __init__(
        self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic,
        max_buckets: int = MAX_BUCKETS,
    ) -> None:
        self.rate = per_minute / 60.0  # tokens a second
        self.burst = max(burst, 1)
        self.enabled = per_minute > 0
        self._clock = clock
        self.max_buckets = max_buckets
        self._buckets: dict[str, _Bucket] = {}  # least recently used first

    def take(self, name: str) -> float:
        """Spend one token of `name`'s bucket: 0.0 when allowed, else seconds until one is due."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        bucket = self._buckets.pop(name, None)
        if bucket is None:
            if len(self._buckets) >= self.max_buckets:
                # The least recently used goes, never all of them: clearing the lot let a flood
                # of new addresses hand a throttled client a full bucket again.
                del self._buckets[next(iter(self._buckets))]
            bucket = _Bucket(float(self.burst), now)
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        self._buckets[name] = bucket  # now the most recently used
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def check(self, name: str, who: str) -> None:
        """RateLimitedError (429) when `name` has no token left."""
        wait = self.take(name)
        if wait > 0.0:
            raise RateLimitedError(
                f"too many requests from {who}: at most {self.burst} at once and "
                f"{round(self.rate * 60)} a minute; retry after {retry_after(wait)} s",
                retry_after(wait),
            )

    def blocked(self, name: str) -> float:
        """Seconds until `name` has a token again, without spending one (0.0: it has one)."""
        if not self.enabled or name not in self._buckets:
            return 0.0
        bucket = self._buckets[name]
        tokens = min(self.burst, bucket.tokens + (self._clock() - bucket.updated) * self.rate)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate


def retry_after(seconds: float) -> int:
    """Whole seconds, at least 1, as `Retry-After` wants them."""
    return max(1, math.ceil(seconds))
