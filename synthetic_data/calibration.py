"""Which trusts exist, how big they are, where they are: calibrated on real NHS England figures.

`data/trusts.csv` (built once by `build_calibration`) holds the 140 real type-1 trusts: ODS code,
mean daily type-1 attendances 2016-2019, admissions ratio and a seeded region. Asking for more
trusts adds plausible generated codes with sizes and ratios resampled from the real ones.
"""

from __future__ import annotations

import io
import itertools
import string
from importlib import resources

import numpy as np
import polars as pl

Region = str

# Real type-1 trust counts per NHS England region, roughly; used as sampling weights.
REGION_WEIGHTS: dict[Region, float] = {
    "North East and Yorkshire": 21,
    "North West": 21,
    "Midlands": 25,
    "East of England": 16,
    "London": 19,
    "South East": 19,
    "South West": 19,
}
REGIONS: tuple[Region, ...] = tuple(REGION_WEIGHTS)
NATION = "England"
_ALPHABET = string.ascii_uppercase + string.digits


def real_trusts() -> pl.DataFrame:
    """The packaged calibration table (no access to the original source at run time)."""
    text = resources.files("synthetic_data").joinpath("data", "trusts.csv").read_text("utf-8")
    return pl.read_csv(io.StringIO(text), schema_overrides={"trust_code": pl.String})


def choose_trusts(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """`n` trusts sorted by code: a seeded sample of real ones, then generated ones if needed.

    Columns: trust_code, region, nation, mean_daily_attendances, admissions_ratio, source
    ("nhs_england" or "generated").
    """
    real = real_trusts()
    picked = real[np.sort(rng.choice(real.height, size=min(n, real.height), replace=False))]
    picked = picked.with_columns(source=pl.lit("nhs_england"))
    if n > real.height:
        picked = pl.concat([picked, _generated(n - real.height, real, rng)])
    return (
        picked.with_columns(nation=pl.lit(NATION))
        .select(
            "trust_code",
            "region",
            "nation",
            "mean_daily_attendances",
            "admissions_ratio",
            "source",
        )
        .sort("trust_code")
    )


def _generated(n: int, real: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Extra trusts: new codes, sizes and ratios bootstrapped from the real ones with jitter."""
    sizes = real["mean_daily_attendances"].to_numpy()
    ratios = real["admissions_ratio"].to_numpy()
    level = rng.choice(sizes, size=n) * rng.lognormal(0.0, 0.1, size=n)
    ratio = np.clip(rng.choice(ratios, size=n) + rng.normal(0.0, 0.02, size=n), 0.12, 0.5)
    weights = np.array(list(REGION_WEIGHTS.values()))
    region = rng.choice(np.array(REGIONS), size=n, p=weights / weights.sum())
    return pl.DataFrame(
        {
            "trust_code": new_codes(n, set(real["trust_code"].to_list()), rng),
            "region": [str(r) for r in region],
            "mean_daily_attendances": np.round(np.clip(level, 40.0, 1000.0), 1),
            "admissions_ratio": np.round(ratio, 4),
            "source": ["generated"] * n,
        }
    )


def new_codes(n: int, taken: set[str], rng: np.random.Generator) -> list[str]:
    """`n` unique ODS-style codes not in `taken`: "R" + 2 characters, then "R" + 3."""
    codes: list[str] = []
    for width in (2, 3):
        if len(codes) == n:
            break
        pool = ["R" + "".join(c) for c in itertools.product(_ALPHABET, repeat=width)]
        free = [c for c in pool if c not in taken]
        chosen = rng.choice(len(free), size=min(n - len(codes), len(free)), replace=False)
        codes.extend(free[i] for i in np.sort(chosen))
    return codes
