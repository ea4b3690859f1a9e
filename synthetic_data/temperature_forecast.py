"""Archived temperature forecasts: what a forecaster could have known, issued every day.

The forecast for a target day is the true temperature plus an error whose sd grows with lead
time (0.9 °C at 1 day, 2.1 °C at 7, 3.5 °C at 14), shared by the trusts of a region (weather
errors are large-scale) plus a little local noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from numpy.typing import NDArray

from synthetic_data.calendar_effects import FloatArray, IntArray

ERROR_SD_AT_ZERO = 0.7
ERROR_SD_PER_DAY = 0.2
LOCAL_SD = 0.3


def error_sd(lead_days: IntArray) -> FloatArray:
    result: FloatArray = ERROR_SD_AT_ZERO + ERROR_SD_PER_DAY * lead_days.astype(np.float64)
    return result


def forecast_table(
    codes: Sequence[str],
    region_index: IntArray,
    dates: NDArray[np.datetime64],
    temperature: FloatArray,
    issue_days: IntArray,
    max_lead: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """issue_date, trust_code, date, lead_days (1..max_lead), temperature_c.

    `temperature` is (trusts, days) over `dates`; every issue day + max_lead must be in range.
    """
    n_trusts, n_issues = len(codes), issue_days.size
    leads = np.arange(1, max_lead + 1)
    regional = rng.normal(size=(int(region_index.max()) + 1, n_issues, max_lead))
    local = rng.normal(0.0, LOCAL_SD, size=(n_trusts, n_issues, max_lead))
    target = issue_days[:, None] + leads[None, :]  # (issues, leads)
    forecast = temperature[:, target] + error_sd(leads) * regional[region_index] + local
    per_trust = n_issues * max_lead
    return pl.DataFrame(
        {
            "issue_date": pl.Series(np.tile(np.repeat(dates[issue_days], max_lead), n_trusts)),
            "trust_code": pl.Series(list(codes), dtype=pl.String).gather(
                np.repeat(np.arange(n_trusts), per_trust)
            ),
            "date": pl.Series(np.tile(dates[target].ravel(), n_trusts)),
            "lead_days": pl.Series(np.tile(leads, n_trusts * n_issues), dtype=pl.Int64),
            "temperature_c": pl.Series(np.round(forecast, 1).ravel()),
        }
    ).with_columns(pl.col("issue_date", "date").cast(pl.Date))
