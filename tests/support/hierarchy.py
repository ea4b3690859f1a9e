"""The hierarchy's helpers: the backtest command over a synthetic world's sites and mapping,
and how far a served hierarchy is from coherent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

from synthetic_data import SyntheticData


def backtest_cli(data: SyntheticData, tmp_path: Path, *extra: str) -> Path:
    """`aeforecast backtest --hierarchy --sites` (snaive, 7 days) on `data`'s trusts, sites and
    mapping, in a subprocess as a user runs it; the output directory, after a clean exit."""
    data.attendances.write_parquet(tmp_path / "attendances.parquet")
    data.site_attendances.write_parquet(tmp_path / "sites.parquet")
    data.hierarchy.write_csv(tmp_path / "hierarchy.csv")
    out = tmp_path / "bt"
    done = subprocess.run(
        [sys.executable, "-m", "aeforecast.cli", "backtest", "--attendances",
         str(tmp_path / "attendances.parquet"), "--sites", str(tmp_path / "sites.parquet"),
         "--hierarchy", str(tmp_path / "hierarchy.csv"), "--out", str(out), "--models",
         "snaive", "--horizon", "7", *extra],
        capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return out


def largest_gap(points: pl.DataFrame, nodes: pl.DataFrame) -> float:
    """max |parent - sum of children| over parents and days."""
    children = points.join(nodes, on="node_code").group_by("parent_code", "date").agg(
        pl.col("point").sum().alias("children"))
    joined = children.join(points, left_on=["parent_code", "date"],
                           right_on=["node_code", "date"])
    assert joined.height > 0
    return float(joined.select((pl.col("point") - pl.col("children")).abs().max()).item())
