"""Score kept forecasts again (after a change to the scoring) without running the models again:
the measurements (wall time, peak memory, load) of the original run are kept.

    .venv/bin/python -m bench.peers.rescore bench/results/peers_synthetic.json KEPT_DIR

KEPT_DIR is what `python -m bench.peers --keep KEPT_DIR` saved for that dataset: `data/` and
one `<model>.parquet` per model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import polars as pl

from bench.peers.datasets import load
from bench.peers.registry import OURS
from bench.peers.report import markdown, ratios
from bench.peers.scoring import score

MEASURED = ["wall_s", "peak_rss_mb", "setup_s", "compute_s", "what"]


def rescore(result: dict[str, Any], kept: Path) -> dict[str, Any]:
    dataset = load(kept / "data")
    forecasts = {name: pl.read_parquet(kept / f"{name}.parquet") for name in result["models"]}
    models = score(dataset, forecasts, OURS)
    for name, entry in models.items():
        entry.update({key: result["models"][name].get(key) for key in MEASURED})
    return {**result, "models": models, "ratios": ratios(models, OURS)}


def main() -> int:
    results, kept = Path(sys.argv[1]), Path(sys.argv[2])
    updated = rescore(json.loads(results.read_text()), kept)
    results.write_text(json.dumps(updated, indent=2) + "\n")
    print(markdown(updated))
    return 0


if __name__ == "__main__":
    sys.exit(main())
