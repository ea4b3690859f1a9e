"""Prometheus metrics, one registry per app (never the global one: nothing at import time).

    aef_http_requests_total{method,route,status}             counter
    aef_http_request_duration_seconds{method,route,status}   histogram
    aef_forecast_run_age_seconds                             since the served run completed
    aef_forecast_run_info{run_id,model,as_of}                1 for the served run
    aef_live_mae / aef_live_coverage80 / aef_live_coverage95 {trust_code,horizon}
    aef_live_drift{trust_code,horizon}                       1 where live error left its range
    aef_data_age_days{trust_code}                            days from a served trust's last
                                                             actual to today (at most
                                                             MAX_AGE_SERIES trusts)

Routes are labelled by their template (`/v1/trusts/{trust_code}/forecast`), so the series stay
few whatever the URLs. Live accuracy is exported for a handful of horizons only (LIVE_HORIZONS),
which keeps a scrape small with hundreds of trusts.

With several worker processes (`aeforecast serve --workers N`) `PROMETHEUS_MULTIPROC_DIR` is set
and the request series are summed over workers by prometheus_client's multiprocess collector.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LIVE_HORIZONS = (1, 7, 14, 28, 42)
MAX_AGE_SERIES = 1_000  # bounded whatever a run holds; the stalest trusts first
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class RunGauge:
    run_id: str
    model: str
    as_of: str
    completed_at: datetime


@dataclass(frozen=True)
class LiveAccuracy:
    trust_code: str
    horizon: int
    mae: float | None
    coverage80: float | None
    coverage95: float | None
    drift: bool


@dataclass
class ServedState:
    """What the scrape reports beside the request series; filled by the serving cache."""

    run: RunGauge | None = None
    live: list[LiveAccuracy] = field(default_factory=list)
    data_to: dict[str, date] = field(default_factory=dict)  # the served run's trusts


class _StateCollector(Collector):
    def __init__(self, state: Callable[[], ServedState], now: Callable[[], datetime]) -> None:
        self._state, self._now = state, now

    def collect(self) -> Iterator[Metric]:
        state = self._state()
        age = GaugeMetricFamily(
            "aef_forecast_run_age_seconds", "Seconds since the served forecast run completed."
        )
        info = GaugeMetricFamily(
            "aef_forecast_run_info", "The served forecast run.", labels=["run_id", "model", "as_of"]
        )
        if state.run is not None:
            age.add_metric([], (self._now() - state.run.completed_at).total_seconds())
            info.add_metric([state.run.run_id, state.run.model, state.run.as_of], 1.0)
        yield age
        yield info
        yield _data_age(state.data_to, self._now().date())
        yield from _live_families(state.live)


def _data_age(data_to: dict[str, date], today: date) -> Metric:
    family = GaugeMetricFamily(
        "aef_data_age_days", "Days from a served trust's last actual to today (stale when over "
        "AEF_STALE_AFTER_DAYS).", labels=["trust_code"])
    ages = sorted(((today - day).days, code) for code, day in data_to.items())
    for age, code in sorted(ages[-MAX_AGE_SERIES:], key=lambda item: item[1]):
        family.add_metric([code], float(age))
    return family


def _live_families(rows: list[LiveAccuracy]) -> Iterator[Metric]:
    labels = ["trust_code", "horizon"]
    families = {
        "mae": GaugeMetricFamily("aef_live_mae", "Live mean absolute error.", labels=labels),
        "coverage80": GaugeMetricFamily(
            "aef_live_coverage80", "Live share of actuals inside the 80% interval.", labels=labels
        ),
        "coverage95": GaugeMetricFamily(
            "aef_live_coverage95", "Live share of actuals inside the 95% interval.", labels=labels
        ),
    }
    drift = GaugeMetricFamily(
        "aef_live_drift", "1 where live error is outside its expected range.", labels=labels
    )
    for row in rows:
        if row.horizon not in LIVE_HORIZONS:
            continue
        key = [row.trust_code, str(row.horizon)]
        for name, family in families.items():
            value = getattr(row, name)
            if value is not None:
                family.add_metric(key, float(value))
        drift.add_metric(key, 1.0 if row.drift else 0.0)
    yield from families.values()
    yield drift


class ApiMetrics:
    """The request series and the scrape, for one app."""

    def __init__(self, state: Callable[[], ServedState], now: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        own = None if multiprocess else self.registry
        self.requests = Counter(
            "aef_http_requests",
            "HTTP requests by route template and status.",
            ["method", "route", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "aef_http_request_duration_seconds",
            "Time from request to the end of the response, by route template and status.",
            ["method", "route", "status"],
            buckets=BUCKETS,
            registry=own,
        )
        if multiprocess:
            from prometheus_client import multiprocess as mp

            mp.MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        self.registry.register(_StateCollector(state, now))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:  # labels() validates and locks: look each series up once
            code = str(status)
            children = (
                self.requests.labels(method, route, code),
                self.latency.labels(method, route, code),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
