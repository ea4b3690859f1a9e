"""Bench: forecast reads for random trusts against the real server, beside a bare FastAPI ceiling.

The data and the run are made by the real commands (synth -> ingest -> batch -> keys create);
`aeforecast serve` runs as its own process on loopback, as does a bare FastAPI app (one route
returning a constant, the same uvicorn, the same worker count): the best this stack can do on
this machine. The load generator is a separate process: `wrk` with a Lua script picking a
random trust per request when it is installed (`apt-get install wrk`), otherwise a Python
asyncio client. Each target gets a warm-up, then a fixed-duration run with a fixed number of
connections; we record requests/s, latency percentiles, errors and the server's CPU time per
request (robust to a busy machine, unlike requests/s). Writes bench/results/api_load.json.

    .venv/bin/python -m bench.api_load [--trusts 30] [--duration 15] [--connections 4]
                                       [--workers 1] [--generator auto|wrk|python]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._load_client import python_load

RESULTS = Path(__file__).resolve().parent / "results" / "api_load.json"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def bare_app() -> Any:
    """The ceiling: FastAPI with one constant route and nothing else (uvicorn --factory)."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    return app


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    non_2xx: int
    server_cpu_ms_per_request: float


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=30)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", default="1", help="server worker counts to measure, e.g. 1,2")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    generator = _generator(args.generator)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        env = _env(Path(tmp), args.database_url)
        trusts, key = _prepare(Path(tmp), env, args.trusts, args.years)
        runs = []
        for workers in (int(w) for w in args.workers.split(",")):
            runs.append(_measure(Path(tmp), env, workers, trusts, key, generator, args))
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "generator": generator, "connections": args.connections, "duration_s": args.duration,
        "trusts": len(trusts), "http": _impl("httptools"), "loop": _impl("uvloop"),
        "runs": runs,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)
    return 0


def _measure(tmp: Path, env: dict[str, str], workers: int, trusts: list[str], key: str,
             generator: str, args: argparse.Namespace) -> dict[str, Any]:
    forecast_paths = [f"/v1/trusts/{t}/forecast" for t in trusts]
    headers = {"Authorization": f"Bearer {key}"}
    with _server(tmp, env, ["-m", "aeforecast.cli", "serve", "--workers", str(workers)],
                 "/readyz", "serve") as (api_url, api_pid), \
         _server(tmp, env, ["-m", "uvicorn", "--factory", "bench.api_load:bare_app",
                            "--workers", str(workers), "--no-access-log", "--log-level",
                            "warning"], "/bare", "bare") as (bare_url, bare_pid):
        loads = {}
        for name, url, pid, paths, hdrs in (
            ("forecast", api_url, api_pid, forecast_paths, headers),
            ("bare", bare_url, bare_pid, ["/bare"], {}),
        ):
            _load(generator, url, paths, hdrs, 2, args.connections, tmp)  # warm-up
            cpu = _cpu_seconds(pid)
            loads[name] = _load(generator, url, paths, hdrs, args.duration, args.connections,
                                tmp, pid, cpu)
    forecast, bare = loads["forecast"], loads["bare"]
    return {
        "workers": workers,
        "forecast": asdict(forecast),
        "bare": asdict(bare),
        "forecast_vs_bare_rps": round(forecast.rps / bare.rps, 3) if bare.rps else None,
        "target_met": forecast.rps >= 1000 and forecast.p99_ms <= 20 and
        forecast.errors + forecast.non_2xx == 0,
    }


def _load(generator: str, url: str, paths: list[str], headers: dict[str, str], seconds: int,
          connections: int, tmp: Path, pid: int | None = None, cpu0: float = 0.0) -> Load:
    if generator == "wrk":
        raw = _wrk(url, paths, headers, seconds, connections, tmp)
    else:
        raw = python_load(url, paths, headers, seconds, connections)
    served = max(raw["requests"], 1)
    cpu = (_cpu_seconds(pid) - cpu0) if pid is not None else 0.0
    return Load(
        requests=raw["requests"], seconds=round(raw["seconds"], 2),
        rps=round(raw["requests"] / raw["seconds"], 1),
        p50_ms=round(raw["p50_us"] / 1000, 2), p90_ms=round(raw["p90_us"] / 1000, 2),
        p99_ms=round(raw["p99_us"] / 1000, 2), max_ms=round(raw["max_us"] / 1000, 2),
        errors=raw["errors"], non_2xx=raw["non_2xx"],
        server_cpu_ms_per_request=round(cpu * 1000 / served, 3),
    )


WRK_SCRIPT = """
local paths = {%(paths)s}
local headers = {%(headers)s}
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests":%%d,"seconds":%%f,"errors":%%d,"non_2xx":%%d,' ..
    '"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d}\\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
"""


def _wrk(url: str, paths: list[str], headers: dict[str, str], seconds: int, connections: int,
         tmp: Path) -> dict[str, Any]:
    script = tmp / "load.lua"
    script.write_text(WRK_SCRIPT % {
        "paths": ", ".join(json.dumps(p) for p in paths),
        "headers": ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()),
        "seed": int(time.time()),
    })
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script),
         url], capture_output=True, text=True, check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def _prepare(tmp: Path, env: dict[str, str], trusts: int, years: int) -> tuple[list[str], str]:
    print(f"preparing: synth {trusts} trusts x {years} years -> ingest -> batch -> key",
          file=sys.stderr)
    data = tmp / "data"
    _cli(env, tmp, "synth", "--out", str(data), "--trusts", str(trusts), "--years", str(years))
    _cli(env, tmp, "ingest", "--attendances", str(data / "attendances.parquet"),
         "--temperature", str(data / "temperature.parquet"))
    _cli(env, tmp, "batch", ok=(0, 1))
    key = _cli(env, tmp, "keys", "create", "--name", "bench", "--scope", "read").strip()
    import polars as pl

    codes = pl.read_parquet(data / "attendances.parquet")["trust_code"].unique().sort()
    return codes.to_list(), key


def _cli(env: dict[str, str], cwd: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    done = subprocess.run([sys.executable, "-m", "aeforecast.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True)
    if done.returncode not in ok:
        raise SystemExit(f"aeforecast {args[0]} failed:\n{done.stderr}")
    return done.stdout


@contextmanager
def _server(tmp: Path, env: dict[str, str], command: list[str], ready: str,
            name: str) -> Iterator[tuple[str, int]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp / f"{name}.log").open("wb")
    root = str(Path(__file__).resolve().parent.parent)
    process = subprocess.Popen([sys.executable, *command, "--port", str(port)], env=env,
                               cwd=root, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + ready, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise SystemExit(f"{name} not ready: see {tmp / (name + '.log')}")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its descendants (uvicorn workers)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(proc.name) == pid or _descends(int(proc.name), pid):
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return total


def _descends(child: int, ancestor: int) -> bool:
    while child > 1:
        try:
            child = int((Path("/proc") / str(child) / "stat").read_text().rsplit(")", 1)[1]
                        .split()[1])
        except OSError:
            return False
        if child == ancestor:
            return True
    return False


def _env(tmp: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEF_")}
    env["AEF_DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'var' / 'aeforecast.db'}"
    env["AEF_MODEL_DIR"] = str(tmp / "models")
    # One key sends everything: a limit this high keeps the rate limiter on the measured path
    # (its cost is in the figures) without ever throttling the load; AEF_RATE_LIMIT_PER_MINUTE=0
    # in the environment measures without it.
    env["AEF_RATE_LIMIT_PER_MINUTE"] = os.environ.get("AEF_RATE_LIMIT_PER_MINUTE", "100000000")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return env


def _generator(choice: str) -> str:
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk, or --generator python")
    return choice


def _impl(module: str) -> str:
    import importlib.util

    return module if importlib.util.find_spec(module) else "pure python (h11/asyncio)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _print(result: dict[str, Any]) -> None:
    print(f"generator {result['generator']}, {result['connections']} connections, "
          f"{result['duration_s']} s per run, {result['trusts']} trusts, "
          f"load average before {result['machine']['loadavg_before']}")
    for run in result["runs"]:
        for name in ("forecast", "bare"):
            load = run[name]
            print(f"workers {run['workers']} {name:8} {load['rps']:8.0f} req/s  "
                  f"p50 {load['p50_ms']:6.2f} ms  p99 {load['p99_ms']:6.2f} ms  "
                  f"errors {load['errors'] + load['non_2xx']}  "
                  f"server CPU {load['server_cpu_ms_per_request']:.3f} ms/request")
        print(f"workers {run['workers']} forecast/bare = {run['forecast_vs_bare_rps']}, "
              f"target (>=1000 req/s, p99 <= 20 ms, 0 errors) met: {run['target_met']}")


if __name__ == "__main__":
    sys.exit(main())
