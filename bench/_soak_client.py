"""The soak's traffic: an open-loop asyncio + httpx client in its own process.

Requests are scheduled at a fixed rate whatever the server does (a closed loop would slow down
with the server and hide a stall); at most `connections` are in flight, and a scheduled request
that finds them all busy is not sent but counted (`late_starts`): a server that keeps up has
none. The mix is what a rostering estate sends: mostly
forecast reads for random trusts (JSON and CSV, random windows), some actuals posted back, and
now and then the trust list, readiness and metrics.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MIX = [("forecast", 0.80), ("forecast_csv", 0.05), ("post_attendances", 0.10),
       ("trusts", 0.03), ("readyz", 0.01), ("metrics", 0.01)]


@dataclass(frozen=True)
class Plan:
    url: str
    trusts: list[str]
    read_keys: dict[str, str]  # trust -> a key limited to it
    write_keys: dict[str, str]
    seconds: float
    rate: float
    connections: int
    seed: int


def run_in_process(plan: Plan) -> dict[str, Any]:
    """The traffic in a separate process, so the client does not share the server's GIL."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(_run, (plan,))
    return result


def _run(plan: Plan) -> dict[str, Any]:
    return asyncio.run(_drive(plan))


def _request(kind: str, plan: Plan, rng: random.Random) -> tuple[str, str, dict[str, str],
                                                                   Any]:
    """(method, path, headers, json body) for one request of `kind`."""
    trust = rng.choice(plan.trusts)
    read = {"Authorization": f"Bearer {plan.read_keys[trust]}"}
    if kind in ("forecast", "forecast_csv"):
        start = date.today() + timedelta(days=rng.randint(1, 7))
        path = f"/v1/trusts/{trust}/forecast?start={start}&days={rng.randint(1, 28)}"
        return "GET", path + ("&format=csv" if kind == "forecast_csv" else ""), read, None
    if kind == "post_attendances":
        days = rng.randint(1, 7)
        body = [{"date": (date.today() - timedelta(days=d)).isoformat(),
                 "attendances": rng.randint(50, 500)} for d in range(1, days + 1)]
        headers = {"Authorization": f"Bearer {plan.write_keys[trust]}"}
        return "POST", f"/v1/trusts/{trust}/attendances", headers, body
    if kind == "trusts":
        return "GET", "/v1/trusts", read, None
    return "GET", f"/{kind}", {}, None


async def _drive(plan: Plan) -> dict[str, Any]:
    import httpx

    rng = random.Random(plan.seed)
    kinds, weights = zip(*MIX, strict=True)
    latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
    failures: dict[str, int] = {}
    late = 0
    slots = asyncio.Semaphore(plan.connections)
    limits = httpx.Limits(max_connections=plan.connections,
                          max_keepalive_connections=plan.connections)
    async with httpx.AsyncClient(base_url=plan.url, limits=limits, timeout=30) as client:

        async def one(kind: str) -> None:
            method, path, headers, body = _request(kind, plan, rng)
            t0 = time.perf_counter()
            try:
                response = await client.request(method, path, headers=headers, json=body)
            except httpx.HTTPError as exc:
                name = f"{kind}: {type(exc).__name__}"
                failures[name] = failures.get(name, 0) + 1
                return
            finally:
                slots.release()
            latencies[kind].append(time.perf_counter() - t0)
            if not 200 <= response.status_code < 300:
                name = f"{kind}: HTTP {response.status_code}"
                failures[name] = failures.get(name, 0) + 1

        tasks: set[asyncio.Task[None]] = set()
        started = time.perf_counter()
        sent = 0
        scheduled = 0
        while (now := time.perf_counter() - started) < plan.seconds:
            for _ in range(int(now * plan.rate) - scheduled):
                scheduled += 1
                if slots.locked():  # every connection busy: this one is not sent, but counted
                    late += 1
                    continue
                await slots.acquire()
                task = asyncio.create_task(one(rng.choices(kinds, weights)[0]))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            await asyncio.sleep(0.002)
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return {"seconds": round(elapsed, 1), "sent": sent, "late_starts": late,
            "failures": failures, "latencies_s": latencies}
