"""A small seeded synthetic world for the batch tests, and ways to put it in a store and read
back what a run stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import polars as pl
import sqlalchemy as sa

from contract.inputs import validate_attendances, validate_temperature
from store import Store
from store import _tables as t
from store.runs import RunInfo, latest_complete_run, read_run_forecast, run_trusts
from synthetic_data import SynthConfig, generate

END = date(2024, 6, 30)  # the last actual of the world
HORIZON = 14


@dataclass(frozen=True)
class World:
    attendances: pl.DataFrame
    temperature: pl.DataFrame

    @property
    def trusts(self) -> list[str]:
        return sorted(self.attendances["trust_code"].unique().to_list())


@cache
def world(trusts: int = 6, years: int = 2) -> World:
    data = generate(SynthConfig(trusts=trusts, years=years, end=END, seed=11))
    attendances = validate_attendances(data.attendances, as_of=END)
    return World(attendances, validate_temperature(data.temperature))


def ingest(store: Store, upto: date, data: World | None = None) -> None:
    """Attendances up to `upto` (all temperature: it runs past the end, like a forecast)."""
    w = data or world()
    store.ingest(w.attendances.filter(pl.col("date") <= upto), w.temperature, source="test")


def assert_whole(store: Store, run: RunInfo, trusts: list[str]) -> None:
    """A complete run: every trust, every day of its horizon, sane intervals."""
    assert sorted(run_trusts(store, run.run_id)["trust_code"].to_list()) == sorted(trusts)
    for code in trusts:
        days = read_run_forecast(store, run.run_id, code, run.as_of + timedelta(days=1), 400)
        assert days["date"].to_list() == [
            run.as_of + timedelta(days=h) for h in range(1, run.horizon + 1)
        ], code
        assert (days["lo95"] <= days["point"]).all() and (days["point"] <= days["hi95"]).all()


def latest(store: Store) -> RunInfo:
    run = latest_complete_run(store)
    assert run is not None
    return run


def row_counts(store: Store) -> dict[str, int]:
    with store.transaction(write=False) as conn:
        return {
            table.name: int(conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
            for table in (t.forecast_runs, t.run_trusts, t.run_forecasts, t.model_versions)
        }


def statuses(store: Store) -> dict[str, str]:
    runs = t.forecast_runs
    with store.transaction(write=False) as conn:
        return {r: s for r, s in conn.execute(sa.select(runs.c.run_id, runs.c.status))}
