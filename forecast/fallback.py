"""Serving a trust the model could not forecast, and deciding which trusts those are.

The fallback is the seasonal naive (lag 7) from `forecast.baselines`, fitted on the trust alone;
if even that fails, a flat mean of the trust's last four weeks with normal intervals from their
spread. Either way every trust gets every day of the horizon.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from forecast.protocol import FORECAST_COLUMNS, FORECAST_SCHEMA, ModelInput, TrustCode

log = logging.getLogger(__name__)

MEAN_WINDOW_DAYS = 28
Z = {"lo95": -1.959964, "lo80": -1.281552, "hi80": 1.281552, "hi95": 1.959964}


@dataclass(frozen=True)
class Fallback:
    forecast: pl.DataFrame
    model: str  # "snaive" or "mean"


def check_forecast(
    forecast: pl.DataFrame, trusts: list[TrustCode], horizon: int
) -> tuple[pl.DataFrame, dict[TrustCode, str]]:
    """The rows of trusts whose forecast is whole and sane, and why each other trust is not."""
    good = forecast.filter(pl.col("trust_code").is_in(trusts)).select(FORECAST_COLUMNS)
    values = pl.col("point", "lo80", "hi80", "lo95", "hi95")
    ordered = (
        (pl.col("lo95") <= pl.col("lo80")) & (pl.col("lo80") <= pl.col("point"))
        & (pl.col("point") <= pl.col("hi80")) & (pl.col("hi80") <= pl.col("hi95"))
        & (pl.col("lo95") >= 0)
    )
    per_trust = good.group_by("trust_code").agg(
        days=pl.col("horizon").n_unique(),
        in_range=pl.col("horizon").is_between(1, horizon).all(),
        finite=pl.all_horizontal(values.is_finite()).all(),
        ordered=ordered.all(),
    )
    problems: dict[TrustCode, str] = {code: "the model returned no forecast" for code in trusts}
    for row in per_trust.iter_rows(named=True):
        code = row["trust_code"]
        if row["days"] != horizon or not row["in_range"]:
            problems[code] = f"the model returned {row['days']} of {horizon} days"
        elif not row["finite"]:
            problems[code] = "the model returned non-finite values"
        elif not row["ordered"]:
            problems[code] = "the model returned disordered or negative intervals"
        else:
            del problems[code]
    keep = [c for c in trusts if c not in problems]
    return good.filter(pl.col("trust_code").is_in(keep)).cast(FORECAST_SCHEMA), problems  # type: ignore[arg-type]


def fallback_forecast(history: pl.DataFrame, origin: date, horizon: int) -> Fallback:
    """One trust's forecast from its own history alone (attendances up to `origin`)."""
    from forecast.baselines.snaive import SeasonalNaive  # its package imports statsmodels: 2-4 s

    code = history["trust_code"][0]
    try:
        model = SeasonalNaive()
        data = ModelInput(history)
        model.fit(data)
        out = model.predict(data, origin, horizon)
        checked, problems = check_forecast(out, [code], horizon)
        if not problems:
            return Fallback(checked, "snaive")
        reason = problems[code]
    except Exception as exc:  # any failure here means: use the flat mean
        reason = f"{type(exc).__name__}: {exc}"
    log.warning("seasonal naive failed for %s (%s); using a flat mean", code, reason)
    return Fallback(flat_mean(history, origin, horizon), "mean")


def flat_mean(history: pl.DataFrame, origin: date, horizon: int) -> pl.DataFrame:
    """The mean of the last four weeks, with intervals from their spread (at least Poisson)."""
    code = history["trust_code"][0]
    recent = history.sort("date")["attendances"].tail(MEAN_WINDOW_DAYS).cast(pl.Float64).to_numpy()
    mean = float(np.mean(recent))
    sd = max(float(np.std(recent, ddof=1)) if recent.size > 1 else 0.0, float(np.sqrt(mean)), 1.0)
    steps = np.arange(1, horizon + 1)
    frame = pl.DataFrame({
        "trust_code": [code] * horizon,
        "origin": [origin] * horizon,
        "horizon": steps,
        "point": np.full(horizon, mean),
        **{name: np.full(horizon, max(mean + z * sd, 0.0)) for name, z in Z.items()},
    }).with_columns(date=pl.col("origin") + pl.duration(days=pl.col("horizon")))
    return frame.select(FORECAST_COLUMNS).cast(FORECAST_SCHEMA)  # type: ignore[arg-type]
