"""Bench: `aeforecast batch` on 150 synthetic trusts x 6 years (target: <= 60 s, <= 2 GB).

Synthesises and ingests the data (fixed end date and seed), then times two real batch processes
as the operator runs them: the weekly one (`--retrain always`: train, 42-day forecasts, store)
and the nightly one the next day (load the model, predict, store). Peak memory is the largest
sum of RSS over the batch and all its child processes, sampled every 20 ms with psutil. The load
average is recorded beside the figures: the machine may be shared. Writes bench/results/batch.json.

    .venv/bin/python -m bench.batch [--trusts 150] [--years 6] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

RESULTS = Path(__file__).resolve().parent / "results" / "batch.json"
TARGET_WALL_S = 60.0
TARGET_PEAK_MB = 2048.0


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_rss_mb: float  # the batch and its children together, at the worst moment
    peak_processes: int
    exit_code: int
    load_before: float
    load_after: float
    phases_s: dict[str, float]  # start-up (imports, migrate) then each batch phase


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=150)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 3, 31))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--horizon", type=int, default=42)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--model", default=None, help="default: the catalog's default model")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        env = _env(Path(tmp), args.database_url)
        data = Path(tmp) / "data"
        _cli(env, "synth", "--out", data, "--trusts", args.trusts, "--years", args.years,
             "--end", args.end, "--seed", args.seed)
        ingest = _measure(env, "ingest", "--attendances", data / "attendances.parquet",
                          "--temperature", data / "temperature.parquet")
        model = ["--model", args.model] if args.model else []
        weekly = _measure(env, "batch", "--as-of", args.end, "--horizon", args.horizon,
                          "--retrain", "always", *model)
        nightly = _measure(env, "batch", "--as-of", args.end + timedelta(days=1),
                           "--horizon", args.horizon, *model)
    result = _result(args, ingest, weekly, nightly)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if result["within_target"] else 1


def _env(tmp: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEF_")}
    env["AEF_DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'var' / 'aeforecast.db'}"
    env["AEF_MODEL_DIR"] = str(tmp / "models")
    env["AEF_LOG_LEVEL"] = "INFO"  # the phase lines give the breakdown
    return env


def _cli(env: dict[str, str], *args: Any) -> None:
    subprocess.run([sys.executable, "-m", "aeforecast.cli", *map(str, args)], env=env,
                   check=True, stdout=subprocess.DEVNULL)


def _measure(env: dict[str, str], *args: Any) -> Measured:
    """Wall time and peak tree RSS of one `aeforecast` process, start to exit."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    wall_start = time.time()
    process = subprocess.Popen([sys.executable, "-m", "aeforecast.cli", *map(str, args)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    root = psutil.Process(process.pid)
    peak, peak_count = 0, 1
    stderr: list[str] = []
    reader = threading.Thread(target=lambda: stderr.extend(process.stderr or []), daemon=True)
    reader.start()
    while process.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            rss = sum(_rss(p) for p in tree)
        except psutil.NoSuchProcess:
            continue
        if rss > peak:
            peak, peak_count = rss, len(tree)
        time.sleep(0.02)
    wall = time.perf_counter() - started
    reader.join()
    return Measured(round(wall, 2), round(peak / 2**20, 1), peak_count, process.returncode,
                    load_before, os.getloadavg()[0], _phases(stderr, wall_start, wall))


def _phases(lines: list[str], start: float, wall: float) -> dict[str, float]:
    """Seconds from process start to the first phase, then between phase log lines. The batch
    runs its phases once per target (attendances, then admissions when the data has them): a
    phase seen again is the next target's, named `admissions.<phase>` (`pass<k>.` after that)."""
    marks: list[tuple[str, float]] = [("startup", start)]
    seen: dict[str, int] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if "phase" in record:
            phase = record["phase"]
            seen[phase] = seen.get(phase, 0) + 1
            prefix = {1: "", 2: "admissions."}.get(seen[phase], f"pass{seen[phase]}.")
            marks.append((prefix + phase, datetime.fromisoformat(record["ts"]).timestamp()))
    ends = [t for _, t in marks[1:]] + [start + wall]
    return {name: round(end - t, 2) for (name, t), end in zip(marks, ends, strict=True)}


def _rss(process: psutil.Process) -> int:
    try:
        return int(process.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def _result(args: argparse.Namespace, ingest: Measured, weekly: Measured,
            nightly: Measured) -> dict[str, Any]:
    from forecast.catalog import DEFAULT_MODEL

    within = all(m.exit_code == 0 and m.wall_s <= TARGET_WALL_S
                 and m.peak_rss_mb <= TARGET_PEAK_MB for m in (weekly, nightly))
    return {
        "data": {"trusts": args.trusts, "years": args.years, "end": str(args.end),
                 "seed": args.seed},
        "horizon": args.horizon,
        "model": args.model or DEFAULT_MODEL,
        "backend": "postgresql" if args.database_url else "sqlite",
        "ingest": asdict(ingest),
        "batch_train": asdict(weekly),
        "batch_predict_only": asdict(nightly),
        "target": {"wall_s": TARGET_WALL_S, "peak_rss_mb": TARGET_PEAK_MB},
        "within_target": within,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
        "note": "wall time includes process start-up and imports; load_* is the 1-minute load "
                "average before and after (other work on the machine slows the figures)",
    }


if __name__ == "__main__":
    sys.exit(main())
