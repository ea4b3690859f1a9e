"""Admissions as a second target: the same engine, runs of their own, served on request."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from support.batch_world import END, HORIZON, assert_whole, ingest, latest, world
from support.commands import Cli

from batch.registry import ModelRegistry
from batch.runner import BatchOptions, run_batch
from contract.errors import NotFoundError
from forecast.targets import parse_target, target_frame, target_truth
from store import Store
from store.runs import latest_complete_run, read_run_forecast
from synthetic_data import SynthConfig, generate


def test_the_admissions_frame_puts_admissions_where_the_engine_reads_and_drops_missing() -> None:
    frame = pl.DataFrame({
        "trust_code": ["RXX", "RXX", "RYY"],
        "date": [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 1)],
        "attendances": [300, 310, 120],
        "admissions": [80, None, 30],
    })
    assert target_frame(frame, "attendances") is frame
    admissions = target_frame(frame, "admissions")
    assert admissions.columns == ["trust_code", "date", "attendances"]
    assert admissions.rows() == [("RXX", date(2024, 1, 1), 80), ("RYY", date(2024, 1, 1), 30)]
    assert target_frame(frame.drop("admissions"), "admissions").is_empty()
    with pytest.raises(ValueError, match="unknown target 'beds'"):
        parse_target("beds")


def test_synthetic_truth_carries_the_admissions_noise_floor() -> None:
    data = generate(SynthConfig(trusts=3, years=1, end=date(2024, 6, 30), seed=5))
    truth = target_truth(data.truth, "admissions")
    assert truth.columns == ["trust_code", "date", "expected", "median"]
    gap = (truth["median"] - truth["expected"]).abs().to_numpy()
    assert gap.max() <= 1.0  # the median of a Poisson-like count is within 1 of its mean
    joined = data.attendances.join(truth, on=["trust_code", "date"])
    # The oracle's errors are the noise: its MAE is close to E|X - median| for the count.
    expected_noise = np.sqrt(2 / np.pi) * np.sqrt(joined["expected"].to_numpy()).mean()
    oracle_mae = (joined["admissions"] - joined["median"]).abs().mean()
    assert isinstance(oracle_mae, float)
    assert 0.85 * expected_noise < oracle_mae < 1.25 * expected_noise
    with pytest.raises(ValueError, match="no admissions oracle"):
        target_truth(data.truth.drop("admissions_median"), "admissions")


def test_the_batch_stores_an_admissions_run_of_its_own(store: Store, tmp_path) -> None:
    ingest(store, END)
    registry = ModelRegistry(tmp_path / "models")
    options = BatchOptions(as_of=END, horizon=HORIZON, model="ensemble")
    attendances = run_batch(store, registry, options)
    admissions = run_batch(store, registry, BatchOptions(END, HORIZON, model="ensemble",
                                                         target="admissions"))
    assert attendances.run_id != admissions.run_id and not admissions.reused
    assert latest(store).run_id == attendances.run_id  # what the service serves by default
    served = latest_complete_run(store, "admissions")
    assert served is not None and served.run_id == admissions.run_id
    assert served.target == "admissions"
    assert_whole(store, served, world().trusts)
    assert {p.name for p in (tmp_path / "models").iterdir()} == {"ensemble",
                                                               "ensemble.admissions"}
    # Admissions are about a quarter to a half of attendances, and follow their own history.
    first = END + timedelta(days=1)
    history = world().attendances.filter(pl.col("date") > END - timedelta(days=28))
    for code in world().trusts:
        att = read_run_forecast(store, attendances.run_id, code, first, HORIZON)["point"]
        adm = read_run_forecast(store, admissions.run_id, code, first, HORIZON)["point"]
        recent = history.filter(pl.col("trust_code") == code)
        share = recent["admissions"].sum() / recent["attendances"].sum()
        assert abs(adm.mean() / att.mean() - share) < 0.15 * share, code
    again = run_batch(store, registry, BatchOptions(END, HORIZON, model="ensemble",
                                                    target="admissions"))
    assert again.reused and again.run_id == admissions.run_id


def test_no_admissions_means_no_admissions_run(store: Store, tmp_path) -> None:
    store.ingest(world().attendances.with_columns(admissions=pl.lit(None, pl.Int64))
                 .filter(pl.col("date") <= END), world().temperature, source="test")
    with pytest.raises(NotFoundError, match="no admissions stored"):
        run_batch(store, ModelRegistry(tmp_path / "models"),
                  BatchOptions(END, HORIZON, model="snaive", target="admissions"))


def test_the_batch_command_runs_both_targets_unless_told_not_to(cli: Cli, database_url: str
                                                                ) -> None:
    with Store(database_url) as store:
        store.migrate()
        ingest(store, END)
    only = cli("batch", "--as-of", str(END), "--horizon", "7", "--model", "snaive",
               "--no-admissions")
    assert only.returncode == 0, only.stderr
    with Store(database_url) as store:
        assert latest_complete_run(store, "admissions") is None
    both = cli("batch", "--as-of", str(END), "--horizon", "7", "--model", "snaive")
    assert both.returncode == 0, both.stderr
    assert both.stdout.strip() == only.stdout.strip()  # attendances: the same run, reused
    with Store(database_url) as store:
        admissions = latest_complete_run(store, "admissions")
    assert admissions is not None and f"admissions run {admissions.run_id}" in both.stderr


def test_backtest_forecasts_admissions_against_their_own_oracle(cli: Cli, tmp_path) -> None:
    data = generate(SynthConfig(trusts=3, years=2, end=date(2024, 6, 30), seed=3))
    data.attendances.write_parquet(tmp_path / "a.parquet")
    data.truth.write_parquet(tmp_path / "truth.parquet")
    done = cli("backtest", "--attendances", str(tmp_path / "a.parquet"), "--truth",
               str(tmp_path / "truth.parquet"), "--out", str(tmp_path / "bt"), "--horizon", "7",
               "--origins", "3", "--models", "snaive", "--target", "admissions")
    assert done.returncode == 0, done.stderr
    forecasts = pl.read_parquet(tmp_path / "bt" / "forecasts.parquet")
    actual = forecasts.join(data.attendances, on=["trust_code", "date"])
    assert (actual["actual"] == actual["admissions"]).all()
    metrics = json.loads((tmp_path / "bt" / "metrics.json").read_text())
    assert metrics["target"] == "admissions"
    assert metrics["oracle"]["mae"] < forecasts["actual"].mean() * 0.2
    without = cli("backtest", "--attendances", str(tmp_path / "a.parquet"), "--out",
                  str(tmp_path / "bt2"), "--target", "admissions", "--origins", "3",
                  "--models", "snaive")
    assert without.returncode == 0, without.stderr  # no truth: scored without an oracle
    data.attendances.drop("admissions").write_parquet(tmp_path / "none.parquet")
    refused = cli("backtest", "--attendances", str(tmp_path / "none.parquet"), "--out",
                  str(tmp_path / "bt3"), "--target", "admissions")
    assert refused.returncode == 2 and "no admissions to backtest on" in refused.stderr
