"""`forecast.evaluation.backtest` in-process on a small synthetic world: the metrics it reports
are those of its own forecasts, and `write` writes what `aeforecast backtest` writes."""

from __future__ import annotations

import argparse
import json
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import polars as pl
import pytest

from aeforecast.commands import backtest as command
from contract.hierarchy import validate_hierarchy
from forecast.backtest import BACKTEST_COLUMNS
from forecast.evaluation import BacktestOutcome, backtest
from forecast.metrics import with_mase_scale
from synthetic_data import SynthConfig, SyntheticData, generate

END = date(2025, 6, 30)
HORIZON = 7
N_ORIGINS = 3


@lru_cache(maxsize=1)
def world() -> SyntheticData:
    return generate(SynthConfig(trusts=5, years=1, end=END, seed=5))


@lru_cache(maxsize=1)
def plain() -> BacktestOutcome:
    data = world()
    return backtest(data.attendances, data.temperature, models=["snaive", "ets"],
                    origins=N_ORIGINS, horizon=HORIZON, truth=data.truth)


@lru_cache(maxsize=1)
def with_hierarchy() -> BacktestOutcome:
    data = world()
    return backtest(data.attendances, data.temperature, models=["snaive"], origins=N_ORIGINS,
                    horizon=HORIZON, hierarchy=validate_hierarchy(data.hierarchy),
                    sites=data.site_attendances)


def test_origins_by_count_end_a_horizon_before_the_last_day() -> None:
    outcome = plain()
    last = END - timedelta(days=HORIZON)
    assert outcome.summary["origin_dates"] == [
        (last - timedelta(days=7 * k)).isoformat() for k in reversed(range(N_ORIGINS))]
    assert outcome.forecasts.columns == BACKTEST_COLUMNS
    assert outcome.forecasts.height == 2 * 5 * N_ORIGINS * HORIZON


def test_metrics_are_those_of_its_own_forecasts() -> None:
    outcome = plain()
    rows = outcome.forecasts.drop_nulls("actual")
    recomputed = rows.group_by("model").agg(
        mae=(pl.col("point") - pl.col("actual")).abs().mean(),
        coverage80=((pl.col("actual") >= pl.col("lo80")) & (pl.col("actual") <= pl.col("hi80"))
                    ).mean(),
        n=pl.len())
    scale = with_mase_scale(outcome.forecasts, world().attendances)
    mase = scale.drop_nulls("actual").group_by("model").agg(
        mase=((pl.col("point") - pl.col("actual")).abs() / pl.col("mase_scale")).mean())
    for row in recomputed.join(mase, on="model").to_dicts():
        frame = outcome.metrics.filter(pl.col("model") == row["model"]).to_dicts()[0]
        entry = outcome.summary["models"][row["model"]]
        for key in ("mae", "coverage80", "mase"):
            assert frame[key] == pytest.approx(row[key], rel=1e-9)
            assert entry[key] == pytest.approx(row[key], abs=5e-7)  # metrics.json rounds
        assert frame["n"] == entry["n"] == row["n"]
    assert set(outcome.metrics["model"]) == {"snaive", "ets"}
    assert outcome.summary["oracle"]["mae"] > 0
    assert outcome.summary["models"]["ets"]["mae"] < outcome.summary["models"]["snaive"]["mae"]


def test_the_report_is_one_page_with_the_hierarchy_as_its_last_section() -> None:
    page = with_hierarchy().report
    assert page.count("<body>") == page.count("</body>") == 1
    section = page.index("<h2>Hierarchy: every level")
    assert section < page.index("</body>")
    assert "<h2>Hierarchy" not in plain().report
    assert set(with_hierarchy().summary["hierarchy"]["levels"]) >= {"nation", "trust"}


def _command_files(out: Path, **extra: object) -> list[str]:
    """What `aeforecast backtest` writes, run in-process with the same data from files."""
    data = world()
    inputs = out.parent / "inputs"
    inputs.mkdir(exist_ok=True)
    data.attendances.write_parquet(inputs / "attendances.parquet")
    data.temperature.write_parquet(inputs / "temperature.parquet")
    parser = argparse.ArgumentParser()
    command.configure(parser)
    argv = ["--attendances", str(inputs / "attendances.parquet"), "--temperature",
            str(inputs / "temperature.parquet"), "--out", str(out), "--horizon", str(HORIZON),
            "--origins", str(N_ORIGINS), "--models", "snaive"]
    for option, value in extra.items():
        argv += [f"--{option}", str(value)]
    assert command.run(parser.parse_args(argv)) == 0
    return sorted(p.name for p in out.iterdir())


def test_write_writes_the_files_the_command_writes(tmp_path: Path) -> None:
    data = world()
    data.hierarchy.write_parquet(tmp_path / "hierarchy.parquet")
    data.site_attendances.write_parquet(tmp_path / "sites.parquet")
    by_command = _command_files(tmp_path / "command", hierarchy=tmp_path / "hierarchy.parquet",
                                sites=tmp_path / "sites.parquet")
    outcome = with_hierarchy()
    outcome.write(tmp_path / "library")
    assert sorted(p.name for p in (tmp_path / "library").iterdir()) == by_command == sorted(
        outcome.files) == ["forecasts.parquet", "hierarchy_forecasts.parquet", "metrics.json",
                           "report.html"]
    written = json.loads((tmp_path / "library" / "metrics.json").read_text())
    assert written == json.loads(json.dumps(outcome.summary))
    assert pl.read_parquet(tmp_path / "library" / "forecasts.parquet").equals(outcome.forecasts)
    assert (tmp_path / "library" / "report.html").read_text(encoding="utf-8") == outcome.report
    command_metrics = json.loads((tmp_path / "command" / "metrics.json").read_text())
    assert command_metrics["models"]["snaive"]["mae"] == written["models"]["snaive"]["mae"]
    levels = command_metrics["hierarchy"]["levels"]
    assert levels.keys() == written["hierarchy"]["levels"].keys()
    for level, block in levels.items():  # the same up to summation order (files are re-read)
        for name in ("base", "mint_shrink", "bottom_up"):
            assert block[name] == pytest.approx(written["hierarchy"]["levels"][level][name],
                                                rel=1e-12)


def test_write_without_a_hierarchy_writes_the_three_files(tmp_path: Path) -> None:
    plain().write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forecasts.parquet", "metrics.json",
                                                          "report.html"]
