"""The peer benchmark's shared parts: origin alignment, conversion and same-row scoring.

The conversion and scoring tests need no bench extra; the two tests that run real peers on tiny
data (statsforecast's seasonal naive, mlforecast) skip without it.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from bench.peers.common import OriginMismatch, _to_pandas, checked, from_nixtla, long_frame
from bench.peers.datasets import Dataset
from bench.peers.report import markdown, ratios
from bench.peers.scoring import score
from forecast.backtest import backtest_origins
from forecast.protocol import FORECAST_COLUMNS, ModelInput

LAST = date(2025, 3, 31)
DAYS = 800


def world(trusts: tuple[str, ...] = ("RAA", "RBB", "RCC"), gap: bool = False) -> ModelInput:
    rng = np.random.default_rng(7)
    rows, temps = [], []
    for k, code in enumerate(trusts):
        for i in range(DAYS):
            day = LAST - timedelta(days=DAYS - 1 - i)
            if gap and k == 0 and i == 100:
                continue
            level = 100 * (k + 1) * (1 + 0.2 * (day.weekday() == 0))
            rows.append((code, day, int(rng.poisson(level))))
            temps.append((code, day, 10 + 5 * np.sin(i / 58)))
        for j in range(1, 15):
            temps.append((code, LAST + timedelta(days=j), 10.0))
    schema = ["trust_code", "date", "attendances"]
    return ModelInput(pl.DataFrame(rows, schema=schema, orient="row"),
                      pl.DataFrame(temps, schema=["trust_code", "date", "temperature_c"],
                                   orient="row"))


def origins(n: int = 3) -> list[date]:
    return backtest_origins(LAST, 14, n, 7)


def nixtla_cv(cutoffs: list[date], model: str = "m") -> pl.DataFrame:
    """A frame shaped like a Nixtla cross_validation result: point = 100, intervals +-10/20."""
    rows = [("RAA", c, c + timedelta(days=h)) for c in cutoffs for h in range(1, 15)]
    frame = pl.DataFrame(rows, schema=["unique_id", "cutoff", "ds"], orient="row")
    return frame.with_columns(pl.lit(100.0).alias(model), pl.lit(90.0).alias(f"{model}-lo-80"),
                              pl.lit(110.0).alias(f"{model}-hi-80"),
                              pl.lit(80.0).alias(f"{model}-lo-95"),
                              pl.lit(120.0).alias(f"{model}-hi-95"))


def test_from_nixtla_keeps_the_contracts_origins() -> None:
    cv = nixtla_cv(origins()).with_columns(pl.col("cutoff", "ds").cast(pl.Datetime("ns")))
    frame = from_nixtla(_to_pandas(cv), "m", origins(), 14)
    assert frame.columns == FORECAST_COLUMNS
    assert sorted(frame["origin"].unique().to_list()) == origins()
    assert frame["horizon"].to_list()[:3] == [1, 2, 3]
    assert frame.row(0, named=True)["lo95"] == 80.0 and frame.row(0, named=True)["hi80"] == 110.0


def test_a_shifted_cutoff_is_refused() -> None:
    shifted = [o - timedelta(days=1) for o in origins()]
    with pytest.raises(OriginMismatch, match="not the contract's"):
        from_nixtla(_to_pandas(nixtla_cv(shifted)), "m", origins(), 14)
    with pytest.raises(OriginMismatch, match="not the contract's"):
        from_nixtla(_to_pandas(nixtla_cv(origins()[1:])), "m", origins(), 14)


def test_a_horizon_past_the_contracts_is_refused() -> None:
    frame = from_nixtla(_to_pandas(nixtla_cv(origins())), "m", origins(), 14)
    late = frame.with_columns(pl.col("date") + pl.duration(days=1),
                              pl.col("horizon") + 1)
    with pytest.raises(OriginMismatch, match="outside 1..14"):
        checked(late, origins(), 14)


def test_long_frame_joins_temperature_and_refuses_gaps() -> None:
    frame = long_frame(world())
    assert list(frame.columns) == ["unique_id", "ds", "y", "temperature"]
    assert len(frame) == 3 * DAYS and frame["temperature"].notna().all()
    with pytest.raises(ValueError, match="gap-free.*RAA"):
        long_frame(world(gap=True))


def test_peers_are_scored_against_ours_on_their_own_rows() -> None:
    data = world()
    dataset = Dataset("tiny", data, origins(), None, {})
    actual = data.attendances.rename({"attendances": "actual"})

    def forecast(offset: float, trusts: list[str]) -> pl.DataFrame:
        rows = [(t, o, o + timedelta(days=h), h) for t in trusts for o in origins()
                for h in range(1, 15)]
        frame = pl.DataFrame(rows, schema=["trust_code", "origin", "date", "horizon"],
                             orient="row").join(actual, on=["trust_code", "date"])
        point = pl.col("actual") + offset
        return frame.with_columns(point.alias("point"), (point - 1e6).alias("lo80"),
                                  (point + 1e6).alias("hi80"), (point - 2e6).alias("lo95"),
                                  (point + 2e6).alias("hi95"),
                                  pl.col("horizon").cast(pl.Int32)).select(FORECAST_COLUMNS)

    ours = pl.concat([forecast(2.0, ["RAA"]), forecast(10.0, ["RBB", "RCC"])])
    models = score(dataset, {"ensemble": ours, "wide": forecast(4.0, ["RAA", "RBB", "RCC"]),
                             "one": forecast(3.0, ["RAA"])}, "ensemble")
    assert models["ensemble"]["mae"] == pytest.approx((2 + 10 + 10) / 3)
    assert models["ensemble"]["coverage80"] == 1.0 and models["ensemble"]["complete"]
    assert models["one"]["n_trusts"] == 1
    assert models["one"]["ours_same_rows"]["mae"] == pytest.approx(2.0)  # RAA only
    assert models["wide"]["ours_same_rows"]["mae"] == pytest.approx(22 / 3)
    paired = models["one"]["ours_vs_this"]  # errors are constant: every resample agrees
    assert paired["mae_ratio"] == pytest.approx(2 / 3) and paired["origins_won"] == 3
    assert paired["ci95"] == pytest.approx([2 / 3, 2 / 3])
    for entry in models.values():
        entry.update(wall_s=1.0, peak_rss_mb=10.0)
    found = ratios(models, "ensemble")
    assert found["best_peer"] == "wide" and found["mae_vs_best_peer"] == pytest.approx(1.8333)
    table = markdown({"dataset": "tiny", "n_trusts": 3, "origins": 3, "horizon": 14,
                      "loadavg_start": [1, 1, 1], "loadavg_end": [1, 1, 1],
                      "models": models, "ratios": found, "absent": {"prophet": "not here"}})
    assert "| `one` | 1 |" in table and "0.667 [0.667, 0.667] | 3/3 |" in table
    assert "`prophet` absent: not here" in table


def test_statsforecast_seasonal_naive_lands_on_the_contracts_origins() -> None:
    pytest.importorskip("statsforecast")
    from bench.peers.statsforecast_peers import run_snaive

    frame = run_snaive(world(), origins(), 14)
    assert sorted(frame["origin"].unique().to_list()) == origins()
    assert frame.height == 3 * 3 * 14
    first = frame.filter((pl.col("trust_code") == "RAA") & (pl.col("horizon") == 7))
    history = world().attendances.filter(pl.col("trust_code") == "RAA")
    expected = history.filter(pl.col("date").is_in(origins()))["attendances"].to_list()
    assert first.sort("origin")["point"].to_list() == pytest.approx(expected)


def test_mlforecast_lands_on_the_contracts_origins_with_both_intervals() -> None:
    pytest.importorskip("mlforecast")
    from bench.peers.mlforecast_peer import run

    frame = run(world(), origins(2), 14)
    assert sorted(frame["origin"].unique().to_list()) == origins(2)
    assert frame.height == 3 * 2 * 14
    assert (frame["lo95"] <= frame["lo80"]).all() and (frame["hi80"] <= frame["hi95"]).all()
