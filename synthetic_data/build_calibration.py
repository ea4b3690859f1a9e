"""One-off: derive `synthetic_data/data/trusts.csv` from NHS England's monthly A&E figures.

Run once by a maintainer (the source is not shipped; the generator reads only the CSV):

    python -m synthetic_data.build_calibration \
        PATH/TO/ae_attendances.csv synthetic_data/data/trusts.csv

Source: NHSRdatasets `ae_attendances` (CC0; NHS England data, Open Government Licence v3),
2016-04 to 2019-03. Only type 1 (major A&E) rows are used. ODS codes do not encode the NHS
England region, so each trust gets a seeded region, with region sizes close to the real ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import polars as pl

from synthetic_data.calibration import REGION_WEIGHTS

REGION_SEED = 20240501


def derive(source: Path) -> pl.DataFrame:
    """Mean daily type-1 attendances and admissions ratio per trust, with a seeded region."""
    monthly = pl.read_csv(source, schema_overrides={"type": pl.String, "period": pl.Date})
    per_trust = (
        monthly.filter(pl.col("type") == "1", pl.col("attendances") > 0)
        .with_columns(days=pl.col("period").dt.month_end().dt.day())
        .group_by("org_code")
        .agg(
            mean_daily_attendances=pl.col("attendances").sum() / pl.col("days").sum(),
            admissions_ratio=pl.col("admissions").sum() / pl.col("attendances").sum(),
        )
        .rename({"org_code": "trust_code"})
        .sort("trust_code")
    )
    return per_trust.with_columns(
        pl.Series("region", _regions(per_trust.height)),
        pl.col("mean_daily_attendances").round(1),
        pl.col("admissions_ratio").round(4),
    ).select("trust_code", "region", "mean_daily_attendances", "admissions_ratio")


def _regions(n: int) -> list[str]:
    """Region per trust: quotas proportional to the real region sizes, in seeded order."""
    names = list(REGION_WEIGHTS)
    weights = np.array(list(REGION_WEIGHTS.values()), dtype=float)
    quotas = np.floor(weights / weights.sum() * n).astype(int)
    quotas[: n - quotas.sum()] += 1
    labels = np.repeat(np.array(names), quotas)
    return [str(x) for x in np.random.default_rng(REGION_SEED).permutation(labels)]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write(__doc__ or "")
        return 2
    table = derive(Path(argv[0]))
    table.write_csv(Path(argv[1]))
    sys.stderr.write(f"wrote {table.height} trusts to {argv[1]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
