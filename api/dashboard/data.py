"""What a trust's page shows, gathered once per request from the served run and the store.

Every number comes from where the API takes it: the days from the served run (the same rounded
values `GET /v1/trusts/{code}/forecast` returns), p_exceed from the same five quantiles
(`forecast.exceedance`), drivers from the run's stored drivers, live accuracy from its table,
hourly figures from the hourly endpoint's own functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from api.insights import DayDrivers, driver_items, exact_drivers, knots
from api.routes.hourly import Hour, day_forecast, hourly_rows
from api.serving import Snapshot, TrustForecast
from forecast.exceedance import prob_exceed_rows
from forecast.hourly_profile import HourlyProfile
from store import Store
from store.runs import read_live_accuracy
from store.served import DAY_FIELDS
from store.thresholds import Threshold, read_thresholds

ACTUAL_DAYS = 56  # eight weeks of actuals before the run's as-of date
PINCH_LEVEL = 0.2  # a day is a pinch point when P(> a threshold) reaches this (as /alerts)
HORIZON_BANDS = ((1, 7), (8, 14), (15, 28), (29, 42), (43, 90))


@dataclass(frozen=True)
class DayRow:
    day: date
    horizon: int
    values: dict[str, float]  # DAY_FIELDS
    p_exceed: dict[str, float]  # threshold name -> P(attendances > it)
    pinch: Threshold | None  # the highest threshold with p_exceed >= PINCH_LEVEL
    drivers: list[dict[str, Any]]  # driver_items: label, attendances, explanation
    actual: int | None


@dataclass(frozen=True)
class AccuracyRow:
    horizons: str
    n: int
    mae: float | None
    expected_mae: float | None
    coverage80: float | None
    coverage95: float | None
    drift: bool


@dataclass(frozen=True)
class HourlyView:
    day: date
    profile: HourlyProfile
    hours: list[Hour]


@dataclass(frozen=True)
class TrustPage:
    trust_code: str
    run_id: str
    as_of: date
    generated_at: str | None
    model: str
    model_version: str | None
    status: str
    days: list[DayRow]
    actuals: list[tuple[date, int]]
    thresholds: list[Threshold]
    accuracy: list[AccuracyRow]
    hourly: HourlyView | None = None
    level: float = PINCH_LEVEL
    extra_threshold: int | None = None  # tried through ?threshold=N
    data_to: date | None = None  # the last actual the run used for this trust
    stale: bool = False  # data_to is more than the limit before today


def gather(
    store: Store, snapshot: Snapshot, served: TrustForecast,
    drivers: dict[date, DayDrivers], extra_threshold: int | None,
) -> TrustPage:
    """Blocking (three small reads); run it in a worker thread."""
    assert snapshot.run is not None
    code, as_of = served.trust_code, snapshot.run.as_of
    thresholds = [Threshold(t.name, t.attendances) for t in read_thresholds(store, code)]
    if extra_threshold is not None:
        thresholds.append(Threshold(f"{extra_threshold} a day", extra_threshold))
    actual_frame = store.read_attendances([code], start=as_of - timedelta(days=ACTUAL_DAYS - 1))
    actuals = [(d, int(a)) for d, a in actual_frame.select("date", "attendances").iter_rows()]
    days = _days(served, as_of, thresholds, drivers, dict(actuals))
    return TrustPage(
        trust_code=code, run_id=snapshot.run.run_id, as_of=as_of,
        generated_at=snapshot.generated_at, model=served.model,
        model_version=served.model_version, status=served.status, days=days, actuals=actuals,
        thresholds=sorted(thresholds, key=lambda t: t.attendances),
        accuracy=accuracy_rows(read_live_accuracy(store, code)), extra_threshold=extra_threshold,
        data_to=snapshot.data_to(code), stale=snapshot.is_stale(code),
    )


def hourly_view(served: TrustForecast, profile: HourlyProfile, day: date) -> HourlyView:
    return HourlyView(day, profile, hourly_rows(day_forecast(served, day), profile, day))


def _days(
    served: TrustForecast, as_of: date, thresholds: Sequence[Threshold],
    drivers: dict[date, DayDrivers], actuals: dict[date, int],
) -> list[DayRow]:
    rows = [knots(v) for v in served.values]
    probabilities = {t.name: prob_exceed_rows(rows, t.attendances) for t in thresholds}
    out = []
    for i, values in enumerate(served.values):
        day = served.first + timedelta(days=i)
        p = {name: probabilities[name][i] for name in probabilities}
        pinch = max(
            (t for t in thresholds if p[t.name] >= PINCH_LEVEL),
            key=lambda t: t.attendances, default=None,
        )
        named = dict(zip(DAY_FIELDS, values, strict=True))
        items = driver_items(exact_drivers(drivers.get(day), named["point"]), day)
        out.append(DayRow(day, (day - as_of).days, named, p, pinch, items, actuals.get(day)))
    return out


def accuracy_rows(live: pl.DataFrame) -> list[AccuracyRow]:
    """Live accuracy by horizon band: n-weighted means of the per-horizon rows."""
    out = []
    for lo, hi in HORIZON_BANDS:
        band = live.filter(pl.col("horizon").is_between(lo, hi) & (pl.col("n") > 0))
        if band.is_empty():
            continue
        n = int(band["n"].sum())

        def mean(column: str, rows: pl.DataFrame = band) -> float | None:
            known = rows.filter(pl.col(column).is_not_null())
            if known.is_empty():
                return None
            weighted = known.select((pl.col(column) * pl.col("n")).sum() / pl.col("n").sum())
            return float(weighted.item())

        out.append(AccuracyRow(
            f"{lo}–{hi}" if lo != hi else str(lo), n, mean("mae"), mean("expected_mae"),
            mean("coverage80"), mean("coverage95"), bool(band["drift"].any()),
        ))
    return out
