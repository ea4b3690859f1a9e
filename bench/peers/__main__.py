"""Our default model side by side with the tools people would pick instead, on the same data,
origins and metric code, in one run: writes bench/results/peers_<dataset>.json and prints
markdown tables.

    .venv/bin/python -m bench.peers [--dataset synthetic|cardiff|all] [--models a,b]
        [--subset-trusts 10] [--timeout 3600]

Each model runs in its own subprocess (wall time and peak memory of its process tree), one after
the other; AutoETS, MSTL and Prophet fit one series at a time and run on a fixed subset of
trusts (spread over trust sizes) when a dataset has more.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bench.peers.datasets import Dataset, load, prepare
from bench.peers.measure import run_measured
from bench.peers.registry import MODELS, OURS
from bench.peers.report import markdown, ratios
from bench.peers.scoring import score

RESULTS = Path(__file__).resolve().parents[1] / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["synthetic", "cardiff", "all"], default="all")
    parser.add_argument("--models", default=",".join(MODELS),
                        help=f"comma-separated, from {', '.join(MODELS)}")
    parser.add_argument("--subset-trusts", type=int, default=10,
                        help="trusts for the per-series peers (AutoETS, MSTL, Prophet)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per model")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="also keep each dataset's data and forecasts in DIR/<dataset>/ "
                             "(for bench.peers.rescore)")
    args = parser.parse_args()
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; known: {', '.join(MODELS)}")
    datasets = ["cardiff", "synthetic"] if args.dataset == "all" else [args.dataset]
    for name in datasets:
        with tempfile.TemporaryDirectory(prefix=f"bench-peers-{name}-") as tmp:
            result = run_dataset(name, Path(tmp), names, args.subset_trusts, args.timeout)
            if args.keep:
                shutil.copytree(tmp, args.keep / name, dirs_exist_ok=True)
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"peers_{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(markdown(result), flush=True)
        print(flush=True)
    return 0


def run_dataset(name: str, tmp: Path, names: list[str], subset_size: int, timeout: float
                ) -> dict[str, Any]:
    dataset = load(prepare(name, tmp / "data"))
    subset = spread_subset(dataset, subset_size)
    load_start = _loadavg()
    started = datetime.now(UTC)
    forecasts: dict[str, pl.DataFrame] = {}
    runs: dict[str, Any] = {}
    absent: dict[str, str] = {}
    for model in names:
        trusts = subset if MODELS[model].scope == "subset" else None
        out = tmp / f"{model}.parquet"
        print(f"== {name}: {model}", file=sys.stderr, flush=True)
        measured = run_measured(model, tmp / "data", out, trusts, timeout)
        runs[model] = measured
        if measured.returncode == 0:
            forecasts[model] = pl.read_parquet(out)
        else:
            absent[model] = f"failed (exit {measured.returncode}): {measured.error}"
    load_end = _loadavg()
    models = score(dataset, forecasts, OURS)
    for model, entry in models.items():
        entry.update(wall_s=runs[model].wall_s, peak_rss_mb=runs[model].peak_rss_mb,
                     setup_s=runs[model].setup_s, compute_s=runs[model].compute_s,
                     what=MODELS[model].what)
    return {
        "dataset": name, "source": dataset.source, "date": started.date().isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "command": "python -m bench.peers " + " ".join(sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "loadavg_start": load_start, "loadavg_end": load_end,
        "horizon": 14, "origins": len(dataset.origins),
        "origin_dates": [d.isoformat() for d in dataset.origins],
        "n_trusts": dataset.data.attendances["trust_code"].n_unique(),
        "subset_trusts": subset, "oracle_mae": (models.get(OURS, {}).get("oracle_mae")),
        "models": models, "absent": absent, "ratios": ratios(models, OURS),
        "library_versions": _versions(),
    }


def spread_subset(dataset: Dataset, size: int) -> list[str]:
    """`size` trusts evenly spread over the trusts ranked by mean attendances (all if fewer)."""
    ranked = (dataset.data.attendances.group_by("trust_code")
              .agg(pl.col("attendances").mean()).sort("attendances", "trust_code"))
    codes = ranked["trust_code"].to_list()
    if len(codes) <= size:
        return sorted(codes)
    picks = np.linspace(0, len(codes) - 1, size).round().astype(int)
    return sorted({codes[i] for i in picks})


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for package in ("statsforecast", "mlforecast", "prophet", "lightgbm", "polars"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


if __name__ == "__main__":
    sys.exit(main())
