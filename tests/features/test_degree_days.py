"""One degree-day definition: the LightGBM features and ARIMAX's regressors agree."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from features.config import DEFAULT_FEATURES
from features.temperature import degree_days, temperature_frame
from forecast.baselines.arimax import design

TEMPERATURES = np.array([-3.0, 5.0, 9.5, 15.5, 20.0, 26.25])


def test_heat_above_20_and_cold_below_5() -> None:
    heat, cold = degree_days(TEMPERATURES)
    np.testing.assert_allclose(heat, [0, 0, 0, 0, 0, 6.25])
    np.testing.assert_allclose(cold, [8, 0, 0, 0, 0, 0])


def test_features_and_arimax_use_the_same_degree_days() -> None:
    start = date(2024, 7, 1)
    days = TEMPERATURES.size
    frame = pl.DataFrame({"trust_code": "RXA",
                          "date": pl.date_range(start, date(2024, 7, days), eager=True),
                          "temperature_c": TEMPERATURES})
    features = temperature_frame(frame, ["RXA"], start, date(2024, 7, days), DEFAULT_FEATURES)
    exog = design(start, days, TEMPERATURES)
    np.testing.assert_allclose(exog[:, -2] * 10, features["cold_degree_days"].to_numpy())
    np.testing.assert_allclose(exog[:, -1] * 10, features["heat_degree_days"].to_numpy())
    expr_heat, expr_cold = degree_days(pl.col("temperature_c"))
    by_expr = frame.select(expr_heat.alias("heat"), expr_cold.alias("cold"))
    np.testing.assert_allclose(by_expr["heat"].to_numpy(), degree_days(TEMPERATURES)[0])
    np.testing.assert_allclose(by_expr["cold"].to_numpy(), degree_days(TEMPERATURES)[1])
