"""Live accuracy: served forecasts scored against actuals that arrive later, checked against an
independent computation; `aeforecast ingest` triggers it."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from support.batch_world import END, HORIZON, ingest, world
from support.commands import Cli

from batch.registry import ModelRegistry
from batch.runner import BatchOptions, run_batch
from forecast.expectation import Expectation, Skill
from forecast.live_accuracy import WINDOW_DAYS, score
from store import Store
from store.accuracy import update_live_accuracy
from store.runs import get_run, read_live_accuracy, read_run_forecast

FIRST = END - timedelta(days=20)
RUN_DAYS = [FIRST + timedelta(days=k) for k in range(16)]  # 16 nightly runs
LAST_RUN = RUN_DAYS[-1]


def nightly_runs(store: Store, tmp_path: Path) -> dict[date, str]:
    """The run served for each as-of date; one date is run twice (a late correction)."""
    registry = ModelRegistry(tmp_path / "models")
    served: dict[date, str] = {}
    for day in RUN_DAYS:
        served[day] = run_batch(store, registry, BatchOptions(day, HORIZON, model="snaive")).run_id
    fixed = world().attendances.filter(pl.col("date") == RUN_DAYS[5]).with_columns(
        pl.col("attendances") + 25)
    store.ingest(fixed, source="correction")  # the run for that day is redone: it is served
    served[RUN_DAYS[5]] = run_batch(
        store, registry, BatchOptions(RUN_DAYS[5], HORIZON, model="snaive")).run_id
    return served


def independent(store: Store, registry: ModelRegistry, served: dict[date, str], end: date
                ) -> dict[tuple[str, int], dict[str, float]]:
    """Per trust and horizon, in numpy, from the served runs' rows, the stored actuals and the
    holdout MAE of the model version each run used (seasonal naive: one MAE per trust)."""
    start = end - timedelta(days=WINDOW_DAYS - 1)
    actual = {(c, d): float(y) for c, d, y in store.read_attendances().select(
        "trust_code", "date", "attendances").iter_rows()}
    versions = {v.version_id: v for v in registry.versions("snaive")}
    cells: dict[tuple[str, int], list[tuple[float, ...]]] = {}
    for as_of, run_id in served.items():
        (version,) = get_run(store, run_id).model_versions
        holdout = registry.load(versions[version]).holdout_mae  # type: ignore[attr-defined]
        for code in world().trusts:
            days = read_run_forecast(store, run_id, code, as_of + timedelta(days=1), HORIZON)
            for row in days.iter_rows(named=True):
                y = actual.get((code, row["date"]))
                if start <= row["date"] <= end and y is not None:
                    h = (row["date"] - as_of).days
                    cells.setdefault((code, h), []).append(
                        (row["point"], row["lo80"], row["hi80"], row["lo95"], row["hi95"], y,
                         holdout[code]))
    out = {}
    for key, rows in cells.items():
        p, lo80, hi80, lo95, hi95, y, expected = np.array(rows).T
        mae = float(np.mean(np.abs(p - y)))
        out[key] = {
            "n": len(rows), "mae": mae, "expected_mae": float(np.mean(expected)),
            "coverage80": float(np.mean((lo80 <= y) & (y <= hi80))),
            "coverage95": float(np.mean((lo95 <= y) & (y <= hi95))),
            "drift": float(len(rows) >= 14 and mae > 1.5 * np.mean(expected)),
        }
    return out


def test_ingesting_actuals_scores_the_served_forecasts(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    with Store(database_url) as store:
        store.migrate()
        ingest(store, LAST_RUN)
        served = nightly_runs(store, tmp_path)
        assert update_live_accuracy(store) > 0  # actuals so far: a partial score
        actuals = tmp_path / "actuals.parquet"
        world().attendances.filter(pl.col("date") > LAST_RUN).write_parquet(actuals)
        result = cli("ingest", "--attendances", str(actuals))  # the days already forecast
        assert result.returncode == 0, result.stderr
        stored = read_live_accuracy(store)
        expected = independent(store, ModelRegistry(tmp_path / "models"), served, END)
    assert stored.height == len(expected) == len(world().trusts) * HORIZON
    assert set(stored["window_end"]) == {END}
    assert set(stored["expected_source"]) == {"holdout"}
    for row in stored.iter_rows(named=True):
        mine = expected[(row["trust_code"], row["horizon"])]
        assert row["n"] == mine["n"]
        for name in ("mae", "coverage80", "coverage95", "expected_mae"):
            assert row[name] == pytest.approx(mine[name], rel=1e-9), name
        assert float(row["drift"]) == mine["drift"]
    assert stored.filter(pl.col("horizon") == 1)["n"].min() == 16


def test_one_trust_only_and_no_runs_at_all(store: Store, tmp_path: Path) -> None:
    ingest(store, END)
    assert update_live_accuracy(store) == 0  # nothing served yet
    assert read_live_accuracy(store).is_empty()
    run_batch(store, ModelRegistry(tmp_path), BatchOptions(END - timedelta(days=3), 7,
                                                           model="snaive"))
    code = world().trusts[0]
    assert update_live_accuracy(store, trusts=[code]) == 3
    stored = read_live_accuracy(store, code)
    assert stored["horizon"].to_list() == [1, 2, 3] and stored["n"].to_list() == [1, 1, 1]
    assert read_live_accuracy(store, world().trusts[1]).is_empty()


def test_drift_needs_a_large_error_and_enough_days() -> None:
    def rows(n: int, error: float) -> pl.DataFrame:
        return pl.DataFrame({
            "run_id": ["r"] * n, "trust_code": ["RXX"] * n, "horizon": [3] * n,
            "point": [100.0] * n, "lo80": [90.0] * n, "hi80": [110.0] * n,
            "lo95": [80.0] * n, "hi95": [120.0] * n, "attendances": [int(100 + error)] * n,
        })

    holdout = {"r": Expectation({"m": Skill(relative={3: 0.05})}, {"RXX": "m"})}  # MAE 5
    assert score(rows(14, 8), holdout)["drift"].to_list() == [True]
    assert score(rows(13, 8), holdout)["drift"].to_list() == [False]  # too few days
    assert score(rows(14, 7), holdout)["drift"].to_list() == [False]  # within 1.5x
    width = {"r": Expectation()}
    scored = score(rows(14, 8), width)
    assert scored["expected_mae"][0] == pytest.approx(20 * 0.3113, rel=1e-3)
    assert scored["expected_source"][0] == "interval_width"


def test_the_expectation_prefers_the_trusts_own_skill_shaped_by_horizon() -> None:
    skill = Skill(relative={1: 0.04, 2: 0.06}, by_trust={"RXX": 10.0})
    both = Expectation({"lgbm": skill, "snaive": Skill(by_trust={"R1H": 7.0})},
                       {"RXX": "lgbm", "R1H": "snaive", "RZZ": "lgbm"})
    assert both.expected("RXX", 2, 100.0, 90, 110) == pytest.approx((12.0, "holdout"))
    assert both.expected("RZZ", 1, 100.0, 90, 110) == pytest.approx((4.0, "holdout"))
    assert both.expected("R1H", 2, 100.0, 90, 110) == (7.0, "holdout")
    assert both.expected("RFB", 1, 100.0, 90, 110)[1] == "interval_width"  # a fallback trust
    assert Expectation.from_json(both.to_json()) == both
    assert Expectation.from_json(None) == Expectation()
