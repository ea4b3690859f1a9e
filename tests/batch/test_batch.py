"""The nightly batch in-process, on both backends: whole runs, idempotency, retraining,
fallbacks, and a failure while storing that leaves the previous run served."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from support.batch_world import (
    END,
    HORIZON,
    assert_whole,
    ingest,
    latest,
    row_counts,
    statuses,
    world,
)

from batch import runner
from batch.registry import ModelRegistry
from batch.runner import BatchOptions, BatchResult, run_batch
from contract.errors import ModelError
from forecast import catalog
from forecast.baselines.snaive import SeasonalNaive
from forecast.protocol import ModelInput
from store import Store
from store.runs import get_run, run_trusts

BROKEN = "RWY"  # a trust of the test world (seeded)


class Flaky(SeasonalNaive):
    """Seasonal naive that cannot forecast one trust: it raises, or returns NaN for it."""

    name = "flaky"

    def __init__(self, mode: str = "raise") -> None:
        super().__init__()
        self.mode = mode

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        out = super().predict(data, origin, horizon)
        if BROKEN in out["trust_code"].to_list():
            if self.mode == "raise":
                raise ValueError("singular matrix")
            return out.with_columns(point=pl.when(pl.col("trust_code") == BROKEN)
                                    .then(float("nan")).otherwise(pl.col("point")))
        return out


class Unfittable(SeasonalNaive):
    name = "unfittable"

    def fit(self, data: ModelInput) -> None:  # noqa: ARG002
        raise RuntimeError("optimizer diverged")


def batch(store: Store, tmp_path: Path, as_of: date = END, model: str = "snaive",
          retrain: str = "auto", horizon: int = HORIZON) -> BatchResult:
    options = BatchOptions(as_of=as_of, horizon=horizon, model=model,
                           retrain=retrain)  # type: ignore[arg-type]
    return run_batch(store, ModelRegistry(tmp_path / "models"), options)


def test_the_default_model_forecasts_every_trust(store: Store, tmp_path: Path) -> None:
    ingest(store, END)
    result = batch(store, tmp_path, model=catalog.DEFAULT_MODEL)
    assert result.ok and result.retrained and not result.reused
    run = latest(store)
    assert run.run_id == result.run_id and run.model == catalog.DEFAULT_MODEL
    assert run.model_versions == (result.model_version,)
    assert_whole(store, run, world().trusts)
    assert set(run_trusts(store, run.run_id)["status"]) == {"ok"}
    assert row_counts(store)["model_versions"] == 1
    expected = run.metadata["expected_mae"]  # what live accuracy will judge it by
    assert sorted(expected["trust_member"]) == world().trusts
    assert set(expected["trust_member"].values()) <= set(expected["members"])


def test_metadata_says_where_temperature_ran_out(store: Store, tmp_path: Path) -> None:
    ingest(store, END)  # the world's temperature forecast runs 14 days past END
    run = get_run(store, batch(store, tmp_path, horizon=21).run_id)
    coverage = run.metadata["temperature"]
    assert coverage["climatology_days"] == 7
    assert coverage["climatology"] == 7 * len(world().trusts)
    assert coverage["climatology_from"] == str(END + timedelta(days=15))
    expected = run.metadata["expected_mae"]  # seasonal naive: its holdout MAE per trust
    assert expected["trust_member"] == dict.fromkeys(world().trusts, "model")
    assert sorted(expected["members"]["model"]["mae_by_trust"]) == world().trusts


def test_the_same_data_again_stores_nothing(store: Store, tmp_path: Path) -> None:
    ingest(store, END - timedelta(days=1))
    first = batch(store, tmp_path, as_of=END)
    counts = row_counts(store)
    again = batch(store, tmp_path, as_of=END)
    assert again.reused and again.run_id == first.run_id
    assert row_counts(store) == counts
    ingest(store, END)  # the as-of day's actuals arrive: new data, a new run
    third = batch(store, tmp_path, as_of=END)
    assert not third.reused and latest(store).run_id == third.run_id


def test_retrain_weekly_predict_nightly(store: Store, tmp_path: Path) -> None:
    ingest(store, END)
    days = [batch(store, tmp_path, as_of=END - timedelta(days=d)) for d in (10, 9, 4, 3)]
    assert [r.retrained for r in days] == [True, False, False, True]
    assert days[1].model_version == days[2].model_version == days[0].model_version
    assert batch(store, tmp_path, as_of=END, retrain="always").retrained
    assert not batch(store, tmp_path, as_of=END - timedelta(days=1), retrain="never").retrained
    with pytest.raises(ModelError, match="--retrain never, but .* holds no 'ets'"):
        batch(store, tmp_path, model="ets", retrain="never")


@pytest.mark.parametrize("mode", ["raise", "nan"])
def test_a_failing_trust_falls_back_and_is_recorded(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setitem(catalog.MODELS, "flaky", lambda: Flaky(mode))
    assert BROKEN in world().trusts
    ingest(store, END)
    result = batch(store, tmp_path, model="flaky")
    assert not result.ok and list(result.fallbacks) == [BROKEN]
    run = latest(store)
    assert run.run_id == result.run_id
    assert_whole(store, run, world().trusts)
    trusts = run_trusts(store, run.run_id)
    broken = trusts.filter(pl.col("trust_code") == BROKEN).row(0, named=True)
    assert broken["status"] == "fallback" and broken["model"] == "snaive"
    assert broken["model_version"] is None
    assert ("singular matrix" if mode == "raise" else "non-finite") in broken["reason"]
    others = trusts.filter(pl.col("trust_code") != BROKEN)
    assert set(others["status"]) == {"ok"} and set(others["model"]) == {"flaky"}
    assert run.metadata["fallback_trusts"] == {BROKEN: broken["reason"]}


def test_a_model_that_cannot_fit_still_serves_every_trust(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(catalog.MODELS, "unfittable", Unfittable)
    ingest(store, END)
    result = batch(store, tmp_path, model="unfittable")
    assert sorted(result.fallbacks) == world().trusts and result.model_version is None
    run = latest(store)
    assert_whole(store, run, world().trusts)
    assert "optimizer diverged" in run.metadata["retrain"]["retrain_failed"]


def test_a_failure_while_storing_leaves_the_previous_run(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(store, END)
    previous = batch(store, tmp_path, as_of=END - timedelta(days=1))
    counts = row_counts(store)

    def crash(phase: str) -> None:
        if phase == "store":  # the rows are written, the status not yet flipped
            raise OSError("disk I/O error")

    monkeypatch.setattr(runner, "pause_at", crash)
    with pytest.raises(OSError, match="disk I/O error"):
        batch(store, tmp_path, as_of=END)
    assert latest(store).run_id == previous.run_id
    assert_whole(store, latest(store), world().trusts)
    failed = [r for r, s in statuses(store).items() if s == "failed"]
    assert len(failed) == 1
    after = row_counts(store)
    assert (after["run_forecasts"], after["run_trusts"]) == (
        counts["run_forecasts"], counts["run_trusts"])
    monkeypatch.undo()
    rerun = batch(store, tmp_path, as_of=END)
    assert latest(store).run_id == rerun.run_id


def test_an_artefact_that_no_longer_loads_is_retrained(store: Store, tmp_path: Path) -> None:
    ingest(store, END)
    first = batch(store, tmp_path, as_of=END - timedelta(days=1))
    version = ModelRegistry(tmp_path / "models").versions("snaive")[0]
    (version.path / "model.pkl").write_bytes(b"truncated")
    second = batch(store, tmp_path, as_of=END)
    assert second.ok and second.retrained and second.model_version != first.model_version
    assert "cannot load model artefact" in get_run(store, second.run_id).metadata["retrain"][
        "load_failed"]
