"""Bench: the full backtest of the default models on 150 synthetic trusts x 6 years.

Generates data with `aeforecast synth` (fixed end date and seed, so runs compare), runs
`aeforecast backtest` (horizon 14, 26 weekly origins) with the synthetic truth, prints wall time,
MAE, MASE, the ratio to the oracle and interval coverage per model, and writes
bench/results/backtest_synthetic.json.

    .venv/bin/python -m bench.backtest_synthetic [--trusts 150] [--years 6] [--models a,b]
        [--target admissions]   (writes bench/results/backtest_synthetic_admissions.json)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "backtest_synthetic.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=150)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--end", default="2026-03-31")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--models", default=None, help="default: the catalog's backtest set")
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument("--origins", type=int, default=26)
    parser.add_argument("--target", choices=["attendances", "admissions"],
                        default="attendances")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"default {RESULTS.name}, or _admissions before .json")
    args = parser.parse_args()
    if args.out is None:
        suffix = "" if args.target == "attendances" else f"_{args.target}"
        args.out = RESULTS.with_name(f"{RESULTS.stem}{suffix}.json")
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as tmp:
        data, out = Path(tmp) / "data", Path(tmp) / "backtest"
        synthesise(data, args.trusts, args.years, args.end, args.seed)
        started = time.perf_counter()
        command: list[Any] = [
            "backtest", "--attendances", data / "attendances.parquet", "--temperature",
            data / "temperature.parquet", "--truth", data / "truth.parquet", "--out", out,
            "--horizon", args.horizon, "--origins", args.origins, "--target", args.target]
        if args.models:
            command += ["--models", args.models]
        _run(*command)
        wall = time.perf_counter() - started
        metrics = json.loads((out / "metrics.json").read_text())
    result = _result(args, metrics, wall)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)
    return 0


def synthesise(out: Path, trusts: int, years: int, end: str, seed: int) -> None:
    """`aeforecast synth` into `out`: attendances, temperature and truth parquet files."""
    _run("synth", "--out", out, "--trusts", trusts, "--years", years, "--end", end,
         "--seed", seed)


def _run(*args: Any) -> None:
    subprocess.run([sys.executable, "-m", "aeforecast.cli", *map(str, args)], check=True,
                   stdout=subprocess.DEVNULL)


def _result(args: argparse.Namespace, metrics: dict[str, Any], wall: float) -> dict[str, Any]:
    keys = ["mae", "mase", "mape", "coverage80", "coverage95", "pinball", "width80",
            "mae_vs_oracle", "fit_s", "predict_s", "n_fits"]
    return {
        "data": {"trusts": args.trusts, "years": args.years, "end": args.end, "seed": args.seed},
        "target": args.target,
        "horizon": metrics["horizon"], "origins": metrics["origins"],
        "n_trusts": metrics["n_trusts"], "backtest_wall_s": round(wall, 1),
        "backtest_elapsed_s": metrics["elapsed_s"], "oracle_mae": metrics["oracle"]["mae"],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "models": {name: {k: m.get(k) for k in keys} for name, m in metrics["models"].items()},
    }


def _print(result: dict[str, Any]) -> None:
    print(f"{result['n_trusts']} trusts, {result['origins']} origins, horizon "
          f"{result['horizon']}: backtest {result['backtest_wall_s']} s wall, oracle MAE "
          f"{result['oracle_mae']:.2f}")
    print(f"{'model':10s} {'time s':>8s} {'MAE':>8s} {'MASE':>7s} {'/oracle':>8s} "
          f"{'cov80':>6s} {'cov95':>6s}")
    for name, m in result["models"].items():
        print(f"{name:10s} {m['fit_s'] + m['predict_s']:8.1f} {m['mae']:8.2f} {m['mase']:7.3f} "
              f"{m['mae_vs_oracle']:8.3f} {m['coverage80']:6.3f} {m['coverage95']:6.3f}")


if __name__ == "__main__":
    sys.exit(main())
