"""Bench: what the what-if request of issue 25 item 1 costs the service now.

`POST /v1/trusts/{code}/forecast/scenario` with a shift from 0001-01-01 to 9999-12-31 (92
bytes) built 3.65 million dates before it was refused: 3.5-6.5 s and about 400 MB a request,
and four at once stalled forecast reads for 4.8 s. Over a real `aeforecast serve` (synth 10
trusts x 2 years, ingest, batch): the refusal's latency, sequentially; then forecast reads' p50
and p99 alone, and again while 20 clients send that request as fast as they can.
Writes bench/results/scenario_bomb.json.

    .venv/bin/python -m bench.scenario_bomb [--reads 400] [--attackers 20]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

RESULTS = Path(__file__).resolve().parent / "results" / "scenario_bomb.json"
BOMB = {"shift": {"start": "0001-01-01", "end": "9999-12-31", "delta_c": 1}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=400)
    parser.add_argument("--attackers", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-bomb-") as name:
        tmp = Path(name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AEF_")}
        env.update(AEF_DATABASE_URL=f"sqlite:///{tmp / 'aeforecast.db'}",
                   AEF_MODEL_DIR=str(tmp / "models"), AEF_RATE_LIMIT_PER_MINUTE="0")
        code, key = _prepare(tmp, env)
        with _server(tmp, env) as url, httpx.Client(base_url=url, timeout=60) as http:
            headers = {"Authorization": f"Bearer {key}"}
            path = f"/v1/trusts/{code}/forecast/scenario"
            refusals = []
            for _ in range(20):
                started = time.perf_counter()
                response = http.post(path, json=BOMB, headers=headers)
                refusals.append(time.perf_counter() - started)
                assert response.status_code == 422, response.text
            alone = _reads(url, headers, code, args.reads)
            under_attack = _reads_under_attack(url, headers, code, args.reads, args.attackers)
    result: dict[str, Any] = {
        "refusal_ms": {"median": _ms(statistics.median(refusals)), "max": _ms(max(refusals))},
        "reads_alone_ms": alone, "reads_under_attack_ms": under_attack,
        "attackers": args.attackers, "load_average_before": [round(x, 2) for x in load_before],
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


def _reads(url: str, headers: dict[str, str], code: str, n: int) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=60) as http:
        times = []
        for _ in range(n):
            started = time.perf_counter()
            assert http.get(f"/v1/trusts/{code}/forecast", headers=headers).status_code == 200
            times.append(time.perf_counter() - started)
    times.sort()
    return {"n": n, "p50": _ms(times[n // 2]), "p99": _ms(times[int(n * 0.99) - 1])}


def _reads_under_attack(url: str, headers: dict[str, str], code: str, n: int,
                        attackers: int) -> dict[str, Any]:
    stop = threading.Event()
    sent = [0] * attackers

    def attack(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while not stop.is_set():
                response = http.post(f"/v1/trusts/{code}/forecast/scenario", json=BOMB,
                                     headers=headers)
                assert response.status_code in (422, 429, 503), response.text
                sent[i] += 1

    threads = [threading.Thread(target=attack, args=(i,), daemon=True) for i in range(attackers)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # the attack is under way
    try:
        reads = _reads(url, headers, code, n)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    return {**reads, "attack_requests": sum(sent)}


def _prepare(tmp: Path, env: dict[str, str]) -> tuple[str, str]:
    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "aeforecast.cli", *args], cwd=tmp, env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode in (0, 1), done.stderr
        return done.stdout.strip()

    cli("synth", "--out", "data", "--trusts", "10", "--years", "2", "--seed", "3")
    cli("ingest", "--attendances", "data/attendances.parquet",
        "--temperature", "data/temperature.parquet")
    cli("batch", "--horizon", "14", "--no-admissions")
    import polars as pl

    codes = pl.read_parquet(tmp / "data" / "attendances.parquet")["trust_code"].unique().sort()
    return str(codes[0]), cli("keys", "create", "--name", "bench", "--scope", "read")


@contextmanager
def _server(tmp: Path, env: dict[str, str]) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "aeforecast.cli", "serve", "--port",
                                str(port)], cwd=tmp, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


if __name__ == "__main__":
    raise SystemExit(main())
