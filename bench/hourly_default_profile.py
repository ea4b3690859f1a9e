"""Derive the default hourly profile (`forecast/hourly_default.py`) from Cardiff's real arrivals.

    .venv/bin/python -m bench.hourly_default_profile [--hourly PATH] > forecast/hourly_default.py

Every complete 24-hour Europe/London day of Cardiff's `arrivals_hourly.csv` (docs/benchmarks.md)
(2014-04 to 2019-02, the clock-change days left out), shares per weekday and local hour.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

CARDIFF = "shared/data/cardiff_ed/arrivals_hourly.csv"


def find_shared(relative: str = CARDIFF) -> Path:
    """The shared data folder sits beside the repository (or a worktree's parent)."""
    for folder in Path(__file__).resolve().parents:
        if (folder / relative).exists():
            return folder / relative
    raise SystemExit(f"cannot find {relative} beside the repository; pass the path")


def shares(path: Path) -> list[list[float]]:
    frame = pl.read_csv(path).with_columns(
        pl.col("hour_start_utc").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC")
    )
    local = pl.col("hour_start_utc").dt.convert_time_zone("Europe/London")
    frame = frame.with_columns(
        day=local.dt.date(), weekday=local.dt.weekday() - 1, hour=local.dt.hour()
    )
    complete = frame.group_by("day").agg(n=pl.len()).filter(pl.col("n") == 24)["day"]
    frame = frame.filter(pl.col("day").is_in(complete.implode()))
    cells = frame.group_by("weekday", "hour").agg(pl.col("arrivals").sum())
    totals = frame.group_by("weekday").agg(total=pl.col("arrivals").sum())
    table = cells.join(totals, on="weekday")
    table = table.with_columns(share=pl.col("arrivals") / pl.col("total"))
    out = []
    for weekday in range(7):
        row = table.filter(pl.col("weekday") == weekday).sort("hour")["share"].to_list()
        rounded = [round(v, 5) for v in row]
        rounded[row.index(max(row))] += round(1 - sum(rounded), 5)  # rows sum to 1 exactly
        out.append([round(v, 5) for v in rounded])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hourly", type=Path, default=None)
    args = parser.parse_args()
    rows = shares(args.hourly or find_shared())
    print('"""The default weekday-by-hour arrival profile: used where a trust has no hourly data.')
    print()
    print("Derived from real data: Cardiff's emergency department, every complete 24-hour")
    print("Europe/London day from 2014-04 to 2019-02 (about 640,000 arrivals; docs/models.md,")
    print("Hour by hour, says how it is used). Rows are weekdays")
    print("(0 = Monday), columns local clock hours 0..23; each row sums to 1. Regenerate with")
    print("`.venv/bin/python -m bench.hourly_default_profile > forecast/hourly_default.py`.")
    print('"""')
    print()
    print("DEFAULT_SHARES: tuple[tuple[float, ...], ...] = (")
    for row in rows:
        print("    (")
        for i in range(0, 24, 8):
            print("        " + ", ".join(f"{v:.5f}" for v in row[i : i + 8]) + ",")
        print("    ),")
    print(")")


if __name__ == "__main__":
    main()
