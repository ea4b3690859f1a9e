"""The HTML report stands alone and says what a reader needs to know."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import polars as pl

from forecast.backtest import ModelTiming
from forecast.metrics import with_mase_scale
from forecast.report.charts import Chart, Series, nice_ticks, render
from forecast.report.html import render_report
from forecast.summary import summarise

ORIGINS = [date(2024, 3, 3) + timedelta(days=7 * k) for k in range(4)]


def backtest_frame() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for model in ("snaive", "ets"):
        for code, size in (("RXA", 300), ("RXB", 90), ("RXC", 150), ("RXD", 40), ("RXE", 200)):
            for origin in ORIGINS:
                for h in range(1, 15):
                    point = size * (1 + 0.05 * rng.normal())
                    rows.append({"model": model, "trust_code": code, "origin": origin,
                                 "date": origin + timedelta(days=h), "horizon": h,
                                 "point": point, "lo80": point * 0.9, "hi80": point * 1.1,
                                 "lo95": point * 0.85, "hi95": point * 1.15,
                                 "actual": None if h == 3 else int(rng.poisson(size))})
    return pl.DataFrame(rows)


def history() -> pl.DataFrame:
    days = [ORIGINS[0] - timedelta(days=i) for i in range(60)]
    return pl.DataFrame({"trust_code": [c for c in ("RXA", "RXB", "RXC", "RXD", "RXE")
                                        for _ in days],
                         "date": days * 5, "attendances": list(range(60)) * 5})


def test_report_is_standalone_and_complete() -> None:
    forecasts = with_mase_scale(backtest_frame(), history())
    truth = forecasts.select("trust_code", "date", pl.col("point").alias("expected")).unique(
        ["trust_code", "date"])
    summary = summarise(forecasts, {"snaive": ModelTiming(1.0, 2.0, 1),
                                    "ets": ModelTiming(3.0, 4.0, 1)},
                        default_model="ets", horizon=14, origins=ORIGINS, elapsed_s=9.0,
                        temperature="perfect foresight from t.csv", truth=truth)
    html = render_report(forecasts, summary)
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert not re.search(r"(src|href)=['\"]?https?:", html)  # nothing fetched from a network
    assert html.count("<svg") >= 6  # horizon x2, weekday, month, calibration, trust samples
    assert "perfect foresight of temperature" in html
    assert "oracle (true median)" in html
    for heading in ("Model comparison", "Error by horizon", "Interval calibration",
                    "Forecast against actual"):
        assert heading in html


def test_report_without_temperature_says_so() -> None:
    forecasts = with_mase_scale(backtest_frame(), history())
    summary = summarise(forecasts, {"snaive": ModelTiming(), "ets": ModelTiming()},
                        default_model="lgbm", horizon=14, origins=ORIGINS, elapsed_s=1.0,
                        temperature="none")
    html = render_report(forecasts, summary)
    assert "ran without temperature" in html
    assert "oracle (true median)" not in html


def test_charts_handle_gaps_and_empty_input() -> None:
    svg = render(Chart("t", [Series("a", [1, 2, 3, 4], [1.0, None, 3.0, 4.0])]))
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 1  # the lone point is a dot
    assert "nothing to show" in render(Chart("t", [Series("a", [], [])]))
    assert nice_ticks(0, 47) == [0, 10, 20, 30, 40, 50]
