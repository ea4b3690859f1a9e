"""Stored forecast runs on both backends: only complete runs are read, whole."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from contract.errors import NotFoundError
from store import Store, run_log
from store.run_log import RunLog, RunRows
from store.runs import (
    FORECAST_DAY_SCHEMA,
    LIVE_ACCURACY_SCHEMA,
    get_run,
    latest_complete_run,
    read_live_accuracy,
    read_run_forecast,
    run_trusts,
)

AS_OF = date(2024, 6, 30)
TRUSTS = ["R1H", "RXX"]


def forecast_rows(horizon: int, level: float = 100.0) -> pl.DataFrame:
    rows = [
        {
            "trust_code": code, "date": AS_OF + timedelta(days=h), "horizon": h,
            "point": level + h, "lo80": level + h - 10, "hi80": level + h + 10,
            "lo95": level + h - 20, "hi95": level + h + 20,
        }
        for code in TRUSTS
        for h in range(1, horizon + 1)
    ]
    return pl.DataFrame(rows)


def trust_rows() -> pl.DataFrame:
    return pl.DataFrame({
        "trust_code": TRUSTS, "model": ["ets", "snaive"], "model_version": ["v1", None],
        "status": ["ok", "fallback"], "reason": [None, "too little history"],
    }, schema={"trust_code": pl.String, "model": pl.String, "model_version": pl.String,
               "status": pl.String, "reason": pl.String})


def store_run(store: Store, fingerprint: str = "f1", level: float = 100.0) -> str:
    run_id = RunLog(store).begin(as_of=AS_OF, horizon=7, model="ets",
                                 fingerprint=fingerprint)
    RunLog(store).complete(run_id, RunRows(forecast_rows(7, level), trust_rows()), {"k": 1})
    return run_id


def test_no_run_yet_reads_none(store: Store) -> None:
    assert latest_complete_run(store) is None
    assert read_live_accuracy(store).schema == pl.Schema(LIVE_ACCURACY_SCHEMA)


def test_a_complete_run_reads_back(store: Store) -> None:
    run_id = store_run(store)
    info = latest_complete_run(store)
    assert info is not None and info.run_id == run_id
    assert (info.as_of, info.horizon, info.model, info.model_versions) == (AS_OF, 7, "ets", ("v1",))
    assert info.metadata == {"k": 1} and info.completed_at >= info.created_at
    assert get_run(store, run_id) == info
    days = read_run_forecast(store, run_id, "RXX", AS_OF + timedelta(days=2), 14)
    assert days.schema == pl.Schema(FORECAST_DAY_SCHEMA)
    assert days["date"].to_list() == [AS_OF + timedelta(days=d) for d in range(2, 8)]
    assert days["point"].to_list() == [100.0 + d for d in range(2, 8)]
    assert set(days["model_version"].to_list()) == {None}
    trusts = run_trusts(store, run_id)
    assert trusts["status"].to_list() == ["ok", "fallback"]


def test_a_running_run_is_invisible(store: Store) -> None:
    done = store_run(store)
    running = RunLog(store).begin(as_of=AS_OF + timedelta(days=1), horizon=7,
                                  model="ets", fingerprint="f2")
    info = latest_complete_run(store)
    assert info is not None and info.run_id == done
    assert read_run_forecast(store, running, "RXX", AS_OF, 7).is_empty()
    with pytest.raises(NotFoundError, match=running):
        get_run(store, running)
    assert RunLog(store).abandon_running() == [running]
    with pytest.raises(run_log.RunLostError, match="no longer 'running'"):
        RunLog(store).complete(running, RunRows(forecast_rows(7), trust_rows()), {})
    assert latest_complete_run(store) == info  # the failed completion stored nothing


def test_the_same_data_cannot_complete_twice(store: Store) -> None:
    first = store_run(store)
    assert RunLog(store).find_complete(AS_OF, "f1", "ets", 7) == first
    assert RunLog(store).find_complete(AS_OF, "f1", "ets", 14) is None
    with pytest.raises(sa.exc.IntegrityError):  # the partial unique index on complete runs
        store_run(store)
    info = latest_complete_run(store)
    assert info is not None and info.run_id == first


def test_one_batch_at_a_time(store: Store) -> None:
    with RunLog(store).lock():
        with pytest.raises(run_log.BatchBusyError, match="another `aeforecast batch`"):
            with RunLog(store).lock(wait_s=0.3):
                pass
    with RunLog(store).lock(wait_s=0):  # released
        pass
