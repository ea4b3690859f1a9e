"""The reliability table of exceedance probabilities, and the thresholds it uses."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from scipy.stats import norm

from forecast.exceedance import KNOT_LEVELS
from forecast.reliability import origin_thresholds, reliability
from forecast.report.exceedance import exceedance_section

ORIGIN = date(2024, 6, 30)


def history(days: int = 400, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    dates = [ORIGIN - timedelta(days=d) for d in range(days)]
    return pl.DataFrame({"trust_code": "RXX", "date": dates,
                         "attendances": rng.poisson(300, days)})


def test_thresholds_are_percentiles_of_the_year_to_the_origin_only() -> None:
    past = history()
    later = pl.DataFrame({"trust_code": "RXX", "date": [ORIGIN + timedelta(days=1)],
                          "attendances": [10_000]})
    plain = origin_thresholds(past, [ORIGIN])
    assert origin_thresholds(pl.concat([past, later]), [ORIGIN]).equals(plain)
    year = past.filter(pl.col("date") > ORIGIN - timedelta(days=365))["attendances"]
    by_level = dict(zip(plain["percentile"], plain["threshold"], strict=True))
    assert by_level[0.9] == year.cast(pl.Float64).quantile(0.9, "linear")
    assert origin_thresholds(history(20), [ORIGIN]).is_empty()  # too little history


def test_calibrated_forecasts_give_a_calibrated_table() -> None:
    """Actuals drawn from the very distribution the quantiles describe: every bin's observed
    share is within its 95% interval (allowing one miss in ten), and the gap is small."""
    rng = np.random.default_rng(1)
    n = 20_000
    mu = rng.uniform(250, 350, n)
    sd = 0.08 * mu
    knots = mu[:, None] + sd[:, None] * norm.ppf(KNOT_LEVELS)[None, :]
    forecasts = pl.DataFrame({
        "model": "m", "trust_code": "RXX", "origin": ORIGIN,
        "lo95": knots[:, 0], "lo80": knots[:, 1], "point": knots[:, 2], "hi80": knots[:, 3],
        "hi95": knots[:, 4], "actual": rng.normal(mu, sd).round().astype(np.int64)})
    entry = reliability(forecasts, history())["m"]
    assert entry["n"] == 3 * n and entry["calibration_gap"] < 0.02
    misses = [b for b in entry["bins"]
              if not b["observed_ci95"][0] <= b["mean_predicted"] <= b["observed_ci95"][1]]
    assert len(misses) <= 1, entry["bins"]
    overconfident = forecasts.with_columns(  # intervals half as wide as they should be
        (pl.col(c) + (pl.col(c) - pl.col("point")) * -0.5).alias(c)
        for c in ("lo95", "lo80", "hi80", "hi95"))
    assert reliability(overconfident, history())["m"]["calibration_gap"] > 0.05
    page = exceedance_section({"default_model": "m", "models": {"m": {"exceedance": entry}}})
    assert "Exceedance probabilities: reliability" in page and "0.3 – 0.4" in page
