"""Join the results of two or more runs on the same dataset into one (when a slow peer had to run
in a separate process), scoring the union of their kept forecasts with the same code.

    .venv/bin/python -m bench.peers.merge OUT.json RUN.json KEPT_DIR RUN.json KEPT_DIR ...

Each model keeps the measurements (wall time, peak memory) of the run that completed it; every
run's command and load averages are listed under "runs". A model absent from every run stays
absent with its reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import polars as pl

from bench.peers.datasets import load
from bench.peers.registry import MODELS, OURS
from bench.peers.report import markdown, ratios
from bench.peers.rescore import MEASURED
from bench.peers.scoring import score

RUN_KEYS = ["command", "started", "loadavg_start", "loadavg_end"]


def merge(runs: list[tuple[dict[str, Any], Path]]) -> dict[str, Any]:
    first, kept_first = runs[0]
    forecasts: dict[str, pl.DataFrame] = {}
    measured: dict[str, dict[str, Any]] = {}
    for result, kept in runs:
        if result["dataset"] != first["dataset"]:
            raise ValueError(f"cannot merge {result['dataset']!r} into {first['dataset']!r}")
        for name, entry in result["models"].items():
            forecasts[name] = pl.read_parquet(kept / f"{name}.parquet")
            measured[name] = {key: entry.get(key) for key in MEASURED}
    ordered = {name: forecasts[name] for name in MODELS if name in forecasts}
    models = score(load(kept_first / "data"), ordered, OURS)
    for name, entry in models.items():
        entry.update(measured[name])
    absent = {name: reason for result, _ in runs for name, reason in result["absent"].items()
              if name not in models}
    return {**first, "models": models, "absent": absent, "ratios": ratios(models, OURS),
            "runs": [{key: result[key] for key in RUN_KEYS} | {"models": list(result["models"])}
                     for result, _ in runs],
            "loadavg_start": first["loadavg_start"],
            "loadavg_end": max((r["loadavg_end"] for r, _ in runs), key=lambda x: x[0])}


def main() -> int:
    out, pairs = Path(sys.argv[1]), sys.argv[2:]
    if not pairs or len(pairs) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    runs = [(json.loads(Path(pairs[i]).read_text()), Path(pairs[i + 1]))
            for i in range(0, len(pairs), 2)]
    result = merge(runs)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
