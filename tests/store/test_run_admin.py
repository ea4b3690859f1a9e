"""Operators' hold on runs, on both backends: which run is served, withdrawing a bad one,
serving an older one on purpose, and what `runs list` reports."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from contract.errors import InputError, NotFoundError
from store import Store
from store.run_admin import list_runs, serve_run, withdraw_run
from store.run_log import RunLog, RunRows
from store.runs import latest_complete_run

AS_OF = date(2025, 1, 31)
TRUSTS = ["R1H", "RXX", "RYY"]


def run_at(store: Store, as_of: date, fingerprint: str, stale: str | None = None) -> str:
    """A complete run for `as_of`; `stale` names a trust left out because its data stopped."""
    forecast = pl.DataFrame([
        {"trust_code": code, "date": as_of + timedelta(days=h), "horizon": h, "point": 100.0,
         "lo80": 90.0, "hi80": 110.0, "lo95": 80.0, "hi95": 120.0}
        for code in TRUSTS if code != stale for h in range(1, 4)
    ])
    trusts = pl.DataFrame([
        (code, "none" if code == stale else "ets", None, "stale" if code == stale else "ok",
         "data ends early" if code == stale else None,
         as_of - timedelta(days=30) if code == stale else as_of)
        for code in TRUSTS
    ], schema={"trust_code": pl.String, "model": pl.String, "model_version": pl.String,
               "status": pl.String, "reason": pl.String, "data_to": pl.Date}, orient="row")
    run_id = RunLog(store).begin(as_of=as_of, horizon=3, model="ets", fingerprint=fingerprint)
    RunLog(store).complete(run_id, RunRows(forecast, trusts), {})
    return run_id


def served(store: Store) -> str | None:
    run = latest_complete_run(store)
    return None if run is None else run.run_id


def test_the_latest_as_of_is_served_not_the_latest_made(store: Store) -> None:
    newer = run_at(store, AS_OF, "a")
    run_at(store, AS_OF - timedelta(days=1), "b")  # an older as-of, made later
    assert served(store) == newer


def test_withdrawing_serves_the_run_that_would_have_been_served(store: Store) -> None:
    first = run_at(store, AS_OF - timedelta(days=2), "a")
    second = run_at(store, AS_OF - timedelta(days=1), "b")
    bad = run_at(store, AS_OF, "c")
    assert served(store) == bad
    withdraw_run(store, bad, "  wrong extract  ")
    assert served(store) == second
    withdraw_run(store, second, "also wrong")
    assert served(store) == first
    listed = {r.run_id: r for r in list_runs(store)}
    assert listed[bad].status == "withdrawn" and listed[bad].note.endswith(": wrong extract")
    assert listed[first].served and not listed[bad].served


def test_a_withdrawn_or_unknown_run_is_refused_whole(store: Store) -> None:
    run = run_at(store, AS_OF, "a")
    with pytest.raises(InputError, match="--reason"):
        withdraw_run(store, run, "   ")
    assert served(store) == run
    withdraw_run(store, run, "bad")
    with pytest.raises(InputError, match="is withdrawn: only a complete run"):
        withdraw_run(store, run, "again")
    with pytest.raises(InputError, match="is withdrawn"):
        serve_run(store, run)
    with pytest.raises(NotFoundError, match="no forecast run 'nope'"):
        withdraw_run(store, "nope", "bad")
    assert served(store) is None


def test_serving_an_older_run_holds_until_a_later_run_completes(store: Store) -> None:
    current = run_at(store, AS_OF, "a")
    rerun = run_at(store, AS_OF - timedelta(days=7), "b")  # a corrected rerun, older as-of
    assert served(store) == current
    serve_run(store, rerun)
    assert served(store) == rerun
    assert {r.run_id: r.note for r in list_runs(store)}[rerun].startswith("chosen to be served")
    tomorrow = run_at(store, AS_OF + timedelta(days=1), "c")  # the next night's batch
    assert served(store) == tomorrow


def test_the_list_counts_trusts_stale_and_the_newest_data(store: Store) -> None:
    run = run_at(store, AS_OF, "a", stale="RYY")
    [summary] = list_runs(store)
    assert (summary.run_id, summary.status, summary.as_of) == (run, "complete", AS_OF)
    assert (summary.trusts, summary.fallbacks, summary.stale) == (3, 0, 1)
    assert summary.data_to == AS_OF and summary.served
    assert len(list_runs(store, limit=0)) == 0
