"""Run one model of the benchmark in this process and write its forecasts (the parent measures
this process's wall time and peak memory).

    python -m bench.peers.child MODEL DATA_DIR OUT.parquet [--trusts CODE,CODE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import polars as pl

from bench.peers.datasets import HORIZON, load
from bench.peers.registry import MODELS
from forecast.protocol import ModelInput


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(MODELS))
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--trusts", default=None, help="comma-separated subset (default: all)")
    args = parser.parse_args()
    started = time.perf_counter()
    peer = MODELS[args.model].load()
    dataset = load(args.data)
    data = dataset.data
    if args.trusts:
        keep = args.trusts.split(",")
        data = ModelInput(data.attendances.filter(pl.col("trust_code").is_in(keep)),
                          data.temperature)
    loaded = time.perf_counter()
    forecasts = peer(data, dataset.origins, HORIZON)
    done = time.perf_counter()
    forecasts.write_parquet(args.out)
    args.out.with_suffix(".json").write_text(json.dumps(
        {"setup_s": round(loaded - started, 2), "compute_s": round(done - loaded, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
