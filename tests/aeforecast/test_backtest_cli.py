"""`aeforecast backtest` end to end, as a subprocess, on small files written here."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from forecast.backtest import BACKTEST_COLUMNS

END = date(2024, 6, 30)
DAYS = 240


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(5)
    dates = [END - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    weekly = np.array([1.15, 1.02, 0.98, 0.97, 0.97, 0.94, 0.97])[[d.weekday() for d in dates]]
    att, temp, truth = [], [], []
    for code, size in [("RXA", 300.0), ("RXB", 120.0), ("R1H", 60.0)]:
        mu = size * weekly
        att.append(pl.DataFrame({"trust_code": code, "date": dates,
                                 "attendances": rng.poisson(mu)}))
        temp.append(pl.DataFrame({"trust_code": code, "date": dates + [END + timedelta(days=1)],
                                  "temperature_c": rng.normal(10, 4, DAYS + 1).round(2)}))
        truth.append(pl.DataFrame({"trust_code": code, "date": dates, "expected": mu}))
    paths = {"attendances": root / "attendances.csv", "temperature": root / "temperature.csv",
             "truth": root / "truth.parquet", "bad": root / "bad.csv"}
    pl.concat(att).write_csv(paths["attendances"])
    pl.concat(temp).write_csv(paths["temperature"])
    pl.concat(truth).write_parquet(paths["truth"])
    pl.concat(att).rename({"attendances": "visits"}).write_csv(paths["bad"])
    return paths


def backtest(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aeforecast.cli", "backtest", *map(str, args)],
                          capture_output=True, text=True, timeout=300, check=False)


def test_writes_the_three_files_of_the_contract(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = backtest("--attendances", files["attendances"], "--temperature", files["temperature"],
                    "--out", out, "--horizon", "7", "--origins", "3", "--models", "snaive,ets",
                    "--truth", files["truth"])
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["forecasts.parquet", "metrics.json",
                                                     "report.html"]
    forecasts = pl.read_parquet(out / "forecasts.parquet")
    assert forecasts.columns == BACKTEST_COLUMNS
    assert forecasts.height == 2 * 3 * 3 * 7  # models x trusts x origins x horizons
    assert forecasts["origin"].unique().sort().to_list() == [
        date(2024, 6, 9), date(2024, 6, 16), date(2024, 6, 23)]
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"default_model", "models", "horizon", "origins", "n_trusts", "elapsed_s"} <= set(
        metrics)
    assert (metrics["horizon"], metrics["origins"], metrics["n_trusts"]) == (7, 3, 3)
    assert metrics["temperature"].startswith("perfect foresight from")
    assert metrics["oracle"]["mae"] > 0
    for name in ("snaive", "ets"):
        model = metrics["models"][name]
        assert {"mae", "mape", "mase", "coverage80", "coverage95", "pinball", "fit_s",
                "predict_s", "mae_vs_oracle"} <= set(model)
        assert [row["horizon"] for row in model["by_horizon"]] == list(range(1, 8))
        assert {"horizon", "mae", "mase", "coverage80", "coverage95"} <= set(
            model["by_horizon"][0])
    html = (out / "report.html").read_text()
    assert "<svg" in html and "perfect foresight" in html and "<script" not in html


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--models", "snaive,prophet"], "unknown model"),
        (["--origins", "40"], "too short"),
        (["--horizon", "0"], "at least 1"),
    ],
)
def test_bad_usage_exits_2_and_writes_nothing(files: dict[str, Path], tmp_path: Path,
                                              extra: list[str], message: str) -> None:
    out = tmp_path / "out"
    done = backtest("--attendances", files["attendances"], "--out", out, *extra)
    assert done.returncode == 2
    assert message in done.stderr
    assert not out.exists()


def test_a_file_breaking_the_contract_exits_2(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = backtest("--attendances", files["bad"], "--out", out)
    assert done.returncode == 2
    assert "attendances" in done.stderr and str(files["bad"]) in done.stderr
    assert not out.exists()
