"""The fallback load generator when wrk is absent: asyncio + httpx in a separate process.

Closed loop: `connections` tasks each send a request for a random path as soon as the previous
answer arrives. Much slower than wrk per request, so on a 2-core machine it takes CPU from the
server: prefer wrk for the figures.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from typing import Any


def python_load(url: str, paths: list[str], headers: dict[str, str], seconds: int,
                connections: int) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(_run, (url, paths, headers, seconds, connections))
    return result


def _run(url: str, paths: list[str], headers: dict[str, str], seconds: int,
         connections: int) -> dict[str, Any]:
    return asyncio.run(_drive(url, paths, headers, seconds, connections))


async def _drive(url: str, paths: list[str], headers: dict[str, str], seconds: int,
                 connections: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    counts = {"errors": 0, "non_2xx": 0}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    started = time.perf_counter()
    deadline = started + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:

        async def worker() -> None:
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    response = await client.get(random.choice(paths))
                except httpx.HTTPError:
                    counts["errors"] += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                if not 200 <= response.status_code < 300:
                    counts["non_2xx"] += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e6 if latencies else 0

    return {"requests": len(latencies), "seconds": elapsed, "p50_us": pct(0.5),
            "p90_us": pct(0.9), "p99_us": pct(0.99), "max_us": pct(1.0), **counts}
