"""Bench: the weekly batch at 150, 1,500 and 15,000 synthetic series, one process vs `--dask local`.

For each size: synthesise (15,000 series in chunks of 5,000, `aeforecast synth` caps a world at
5,000 trusts; each chunk has its own seed and, after the first, a digit in front of its codes),
ingest into a fresh SQLite store (not timed), then time `aeforecast batch --retrain always`
(train the default model, forecast 42 days, store the run) twice on the same store and data: on one
machine, and with `--dask local` (a LocalCluster, one single-threaded worker process per core).
The second run is a different as-of day (the day before) so it is not the first run reused.
Peak memory is the largest sum of RSS over the command and all its child processes (the Dask
scheduler and workers included), sampled every 20 ms. Writes bench/results/scale.json.

    .venv/bin/python -m bench.scale [--sizes 150:2,1500:2,15000:1]   # trusts:years
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import psutil

from bench.batch import _cli, _env, _measure

RESULTS = Path(__file__).resolve().parent / "results" / "scale.json"
CHUNK = 5000  # aeforecast synth's largest world


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="150:2,1500:2,15000:1",
                        help="comma-separated TRUSTS:YEARS (default 150:2,1500:2,15000:1)")
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 3, 31))
    parser.add_argument("--horizon", type=int, default=42)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = []
    for spec in args.sizes.split(","):
        trusts, years = (int(x) for x in spec.split(":"))
        runs.append(_one_size(trusts, years, args.end, args.horizon))
        _write(args.out, runs)  # whatever finished survives an interrupted bench
    print(json.dumps(runs, indent=2))
    return 0 if all(r[k]["exit_code"] == 0 for r in runs for k in ("single", "dask_local")) else 1


def _one_size(trusts: int, years: int, end: date, horizon: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        env = _env(Path(tmp), None)
        data = Path(tmp) / "data"
        started = time.perf_counter()
        _synthesise(env, data, trusts, years, end)
        synth_s = time.perf_counter() - started
        ingest = _measure(env, "ingest", "--attendances", data / "attendances.parquet",
                          "--temperature", data / "temperature.parquet")
        batch = ["batch", "--horizon", horizon, "--retrain", "always"]
        single = _measure(env, *batch, "--as-of", end)
        dask = _measure(env, *batch, "--as-of", end - timedelta(days=1), "--dask", "local")
    result = {"trusts": trusts, "years": years, "end": str(end), "horizon": horizon,
              "synth_s": round(synth_s, 1), "ingest": asdict(ingest),
              "single": asdict(single), "dask_local": asdict(dask)}
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def _synthesise(env: dict[str, str], out: Path, trusts: int, years: int, end: date) -> None:
    """One world, or chunks of `CHUNK` trusts glued together with distinct codes."""
    sizes = [min(CHUNK, trusts - start) for start in range(0, trusts, CHUNK)]
    frames: dict[str, list[pl.DataFrame]] = {"attendances": [], "temperature": []}
    for k, size in enumerate(sizes):
        chunk = out / f"chunk{k}"
        _cli(env, "synth", "--out", chunk, "--trusts", size, "--years", years, "--end", end,
             "--seed", 42 + k)
        # codes are 3-4 characters: a chunk digit in front keeps them valid and distinct
        code = pl.col("trust_code") if k == 0 else pl.lit(str(k)) + pl.col("trust_code")
        for name in frames:
            frames[name].append(pl.read_parquet(chunk / f"{name}.parquet")
                                .with_columns(trust_code=code))
    for name, parts in frames.items():
        pl.concat(parts).write_parquet(out / f"{name}.parquet")


def _write(out: Path, runs: list[dict[str, Any]]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "runs": runs,
        "machine": {"cpus": os.cpu_count(),
                    "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
        "note": "wall time includes process start-up and, for --dask local, starting the "
                "LocalCluster; peak_rss_mb sums the command and every child process; load_* is "
                "the 1-minute load average before and after (the machine is shared)",
    }, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
