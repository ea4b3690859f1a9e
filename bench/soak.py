"""Soak: ten minutes of mixed traffic against the real server, a nightly batch in the middle.

The data and the first run come from the real commands (synth -> ingest -> batch for yesterday
-> keys create); `aeforecast serve` runs as its own process on loopback. A separate client
process (bench/_soak_client.py) sends requests at a fixed rate: forecast reads for random trusts
(JSON and CSV), actuals posted back, the trust list, readiness and metrics; each trust has its
own read and write key, as each trust's rota tool would (a key's rate limit is 10 requests/s).
Half-way through, `aeforecast batch` runs for today, so the server picks up a new run under
load. The server's resident memory (RSS, the process and any children) is sampled every two
seconds; the figure that matters is the drift from the end of the warm-up to the end of the run.

    .venv/bin/python -m bench.soak [--minutes 10] [--rate 100] [--connections 8]
                                   [--trusts 30] [--database-url URL]

Writes bench/results/soak.json (and prints the summary): requests sent, errors, p50/p99 per kind
and overall, RSS after warm-up and at the end, the batch's exit code and duration.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench._soak_client import Plan, run_in_process
from bench.api_load import _cli, _env, _server

RESULTS = Path(__file__).resolve().parent / "results" / "soak.json"
SAMPLE_SECONDS = 2.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the baseline")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--trusts", type=int, default=30)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    seconds = args.minutes * 60
    warmup = min(args.warmup, seconds / 5)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as name:
        tmp = Path(name)
        env = _env(tmp, args.database_url)
        trusts, read_key, write_key = _prepare(tmp, env, args.trusts, args.years)
        with _server(tmp, env, ["-m", "aeforecast.cli", "serve"], "/readyz", "serve") as (
            url, pid,
        ):
            plan = Plan(url, trusts, read_key, write_key, seconds, args.rate, args.connections,
                        args.seed)
            rss, batch = _observe(plan, pid, env, tmp)
            traffic = rss.pop("traffic")
    result = _summary(args, traffic, rss, batch, warmup, load_before)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)
    return 0 if result["errors"] == 0 and result["memory"]["within_10_percent"] else 1


def _prepare(tmp: Path, env: dict[str, str], trusts: int, years: int
             ) -> tuple[list[str], dict[str, str], dict[str, str]]:
    print(f"preparing: synth {trusts} trusts x {years} years -> ingest -> batch -> keys",
          file=sys.stderr)
    data = tmp / "data"
    _cli(env, tmp, "synth", "--out", str(data), "--trusts", str(trusts), "--years", str(years))
    _cli(env, tmp, "ingest", "--attendances", str(data / "attendances.parquet"),
         "--temperature", str(data / "temperature.parquet"))
    _cli(env, tmp, "batch", "--as-of", str(date.today() - timedelta(days=1)), ok=(0, 1))
    import polars as pl

    from store import Store
    from store.keys import create_key

    codes = pl.read_parquet(data / "attendances.parquet")["trust_code"].unique().sort().to_list()
    with Store(env["AEF_DATABASE_URL"]) as store:  # a key per trust's rota tool, as deployed
        read = {c: create_key(store, f"soak read {c}", "read", [c]).token for c in codes}
        write = {c: create_key(store, f"soak write {c}", "write", [c]).token for c in codes}
    return codes, read, write


def _observe(plan: Plan, pid: int, env: dict[str, str],
             tmp: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the traffic in the background; sample RSS; start the batch half-way."""
    outcome: dict[str, Any] = {}
    client = threading.Thread(target=lambda: outcome.update(traffic=run_in_process(plan)))
    started = time.monotonic()
    client.start()
    samples: list[tuple[float, float]] = []
    batch: dict[str, Any] = {}
    process: subprocess.Popen[str] | None = None
    while client.is_alive():
        elapsed = time.monotonic() - started
        samples.append((round(elapsed, 1), _rss_mb(pid)))
        if process is None and elapsed >= plan.seconds / 2:
            print(f"{elapsed:.0f} s: starting the batch", file=sys.stderr)
            batch["started_at_s"] = round(elapsed, 1)
            process = subprocess.Popen(
                [sys.executable, "-m", "aeforecast.cli", "batch"], env=env, cwd=tmp,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
        if process is not None and "exit_code" not in batch and process.poll() is not None:
            batch.update(exit_code=process.returncode,
                         seconds=round(time.monotonic() - started - batch["started_at_s"], 1),
                         run_id=process.stdout.read().strip() if process.stdout else "")
        client.join(timeout=SAMPLE_SECONDS)
    if process is not None and "exit_code" not in batch:
        process.wait()
        batch.update(exit_code=process.returncode, seconds=None)
    samples.append((round(time.monotonic() - started, 1), _rss_mb(pid)))
    return {"samples": samples, "traffic": outcome["traffic"]}, batch


def _rss_mb(pid: int) -> float:
    """Resident memory of the server and its children (uvicorn workers), in MB."""
    total_kb = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(proc.name) == pid or fields.get("PPid", "").strip() == str(pid):
            total_kb += int(fields.get("VmRSS", "0 kB").split()[0])
    return round(total_kb / 1024, 1)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2) if values else 0


def _summary(args: argparse.Namespace, traffic: dict[str, Any], rss: dict[str, Any],
             batch: dict[str, Any], warmup: float, load_before: tuple[float, ...],
             ) -> dict[str, Any]:
    samples: list[tuple[float, float]] = rss["samples"]
    after_warmup = next(mb for t, mb in samples if t >= warmup)
    end = samples[-1][1]
    everything = [x for values in traffic["latencies_s"].values() for x in values]
    errors = sum(traffic["failures"].values())
    return {
        "date": date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "settings": {"minutes": args.minutes, "rate_per_s": args.rate,
                     "connections": args.connections, "trusts": args.trusts,
                     "database": "postgresql" if args.database_url else "sqlite",
                     "warmup_s": warmup, "seed": args.seed},
        "requests": len(everything) + errors,
        "errors": errors,
        "failures": traffic["failures"],
        "late_starts": traffic["late_starts"],
        "seconds": traffic["seconds"],
        "latency_ms": {"p50": _percentile(everything, 0.5), "p99": _percentile(everything, 0.99),
                       "max": _percentile(everything, 1.0)},
        "by_kind": {
            kind: {"requests": len(values), "p50_ms": _percentile(values, 0.5),
                   "p99_ms": _percentile(values, 0.99)}
            for kind, values in traffic["latencies_s"].items()
        },
        "batch": batch,
        "memory": {
            "rss_after_warmup_mb": after_warmup, "rss_end_mb": end,
            "rss_max_mb": max(mb for _, mb in samples),
            "drift_percent": round(100 * (end - after_warmup) / after_warmup, 2),
            "within_10_percent": abs(end - after_warmup) <= 0.1 * after_warmup,
            "median_mb": statistics.median(mb for _, mb in samples),
            "samples": samples,
        },
    }


def _print(result: dict[str, Any]) -> None:
    memory, latency = result["memory"], result["latency_ms"]
    print(f"{result['requests']} requests in {result['seconds']} s, {result['errors']} errors "
          f"{result['failures'] or ''}, p50 {latency['p50']} ms, p99 {latency['p99']} ms")
    for kind, figures in result["by_kind"].items():
        print(f"  {kind:18} {figures['requests']:7d}  p50 {figures['p50_ms']:7.2f} ms  "
              f"p99 {figures['p99_ms']:7.2f} ms")
    print(f"batch: {result['batch']}")
    print(f"RSS after warm-up {memory['rss_after_warmup_mb']} MB, at the end "
          f"{memory['rss_end_mb']} MB (drift {memory['drift_percent']}%), "
          f"max {memory['rss_max_mb']} MB")


if __name__ == "__main__":
    sys.exit(main())
