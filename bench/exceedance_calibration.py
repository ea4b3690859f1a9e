"""Bench: are exceedance probabilities calibrated? Reliability tables on synthetic and Cardiff.

Runs `aeforecast backtest` (horizon 14, 26 weekly origins) on 150 synthetic trusts x 6 years
(`aeforecast synth`, fixed end date and seed) with the served models (ensemble and its seasonal
naive fallback), and on the Cardiff ED data with forecast temperatures; prints each model's
reliability table (predicted P(attendances > threshold) in tenths against the observed share)
and writes bench/results/exceedance_calibration.json.

    .venv/bin/python -m bench.exceedance_calibration [--trusts 150] [--years 6]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "exceedance_calibration.json"
CARDIFF = Path("/work/shared/data/cardiff_ed")
MODELS = "ensemble,snaive"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trusts", type=int, default=150)
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--end", default="2026-03-31")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cardiff", type=Path, default=CARDIFF)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-exceedance-") as tmp:
        data = Path(tmp) / "data"
        _run("synth", "--out", data, "--trusts", args.trusts, "--years", args.years,
             "--end", args.end, "--seed", args.seed)
        result["synthetic"] = _backtest(Path(tmp) / "synthetic", data / "attendances.parquet",
                                        data / "temperature.parquet")
        result["synthetic"]["data"] = {"trusts": args.trusts, "years": args.years,
                                       "end": args.end, "seed": args.seed}
        if (args.cardiff / "attendances.csv").exists():
            result["cardiff"] = _backtest(Path(tmp) / "cardiff",
                                          args.cardiff / "attendances.csv",
                                          args.cardiff / "temperature_forecast.csv")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for name, part in result.items():
        _print(name, part)
    return 0


def _backtest(out: Path, attendances: Path, temperature: Path) -> dict[str, Any]:
    _run("backtest", "--attendances", attendances, "--temperature", temperature, "--out", out,
         "--models", MODELS)
    metrics = json.loads((out / "metrics.json").read_text())
    return {"n_trusts": metrics["n_trusts"], "origins": metrics["origins"],
            "horizon": metrics["horizon"],
            "models": {name: m["exceedance"] for name, m in metrics["models"].items()}}


def _run(*args: Any) -> None:
    subprocess.run([sys.executable, "-m", "aeforecast.cli", *map(str, args)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _print(name: str, part: dict[str, Any]) -> None:
    print(f"{name}: {part['n_trusts']} trusts, {part['origins']} origins, horizon "
          f"{part['horizon']}")
    for model, entry in part["models"].items():
        print(f"  {model}: n {entry['n']}, Brier {entry['brier']}, gap "
              f"{entry['calibration_gap']}")
        for b in entry["bins"]:
            print(f"    p {b['lo']:.1f}-{b['hi']:.1f}  n {b['n']:6d}  predicted "
                  f"{b['mean_predicted']:.3f}  observed {b['observed']:.3f}")


if __name__ == "__main__":
    sys.exit(main())
