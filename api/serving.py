"""What the API serves, held in memory per process and refreshed cheaply.

The latest complete run changes once a night, while rostering tools ask every few minutes. So
each process keeps that run's forecasts in memory, every day pre-encoded as JSON and CSV; a
forecast request only slices lists and joins bytes. Whether a newer run exists is checked at
most once per `refresh_seconds`, in a worker thread, and while that check runs other requests
keep being served from the copy in hand (stale by at most a second or so).

If the database goes away, the copy in hand keeps serving (a rota tool at 3 a.m. keeps its
forecasts through a database restart), marked with the time the database stopped answering,
which the forecast route sends as `X-Database-Unavailable-Since`; readiness (`/readyz`) asks the
database itself and answers 503 with the reason. What is not in memory fails with a clean 503.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import anyio.to_thread

from api.metrics import LiveAccuracy, RunGauge, ServedState
from forecast.targets import DEFAULT_TARGET, Target
from store import Store
from store.runs import RunInfo, as_utc, latest_complete_run, read_live_accuracy
from store.served import (
    DAY_FIELDS,
    ServedDayRow,
    ServedTrustRow,
    run_days,
    run_nodes,
    served_version,
)

log = logging.getLogger("aeforecast.api")
T = TypeVar("T")
LIVE_REFRESH_SECONDS = 30.0
STALE_FACTOR = 5  # serve a view up to 5 refresh periods old while a newer one is fetched


@dataclass(frozen=True)
class TrustForecast:
    """One trust's days in the served run, from `first` on, consecutive."""

    trust_code: str
    model: str
    model_version: str | None
    status: str
    first: date
    days_json: list[bytes]
    days_csv: list[str]
    values: list[tuple[float, ...]]  # DAY_FIELDS per day, for exceedance and alerts
    data_to: date | None = None  # the last actual the run used for this trust

    @property
    def last(self) -> date:
        return self.first + timedelta(days=len(self.days_json) - 1)


@dataclass(frozen=True)
class NodeInfo:
    """A node of the served run's hierarchy: its level and every node above it."""

    level: str
    ancestors: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    """The database as the API sees it for one target: the served run (if any), the known
    trusts and, when the run was made over a hierarchy, its nodes (sites, ICSs, regions,
    nations and trusts)."""

    run: RunInfo | None
    forecasts: dict[str, TrustForecast]
    trusts: frozenset[str]
    checked_at: float
    unavailable_since: datetime | None = None  # the database stopped answering: served from memory
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    target: Target = DEFAULT_TARGET
    served: dict[str, ServedTrustRow] = field(default_factory=dict)  # every trust of the run
    stale_after_days: int = 3

    def data_to(self, code: str) -> date | None:
        """The last actual the served run used for `code`: recorded per trust since 0007;
        for an older run, the newest data it used (its metadata), else its as-of."""
        row = self.served.get(code)
        if row is not None and row.data_to is not None:
            return row.data_to
        if self.run is None:
            return None
        last = self.run.metadata.get("data", {}).get("last_date")
        return date.fromisoformat(str(last)) if last else self.run.as_of

    def is_stale(self, code: str, today: date | None = None) -> bool:
        """Data ending more than `stale_after_days` before today's date on the clock."""
        data_to = self.data_to(code)
        return data_to is None or ((today or date.today()) - data_to).days > self.stale_after_days

    def is_stale_everywhere(self, today: date | None = None) -> bool:
        """Every trust of the served run is stale: the store as a whole stopped."""
        codes = list(self.served or self.forecasts)
        return bool(codes) and all(self.is_stale(c, today) for c in codes)

    def newest_data_to(self) -> date | None:
        """The newest last actual among the run's trusts (readiness judges the store by it)."""
        known = [d for d in (self.data_to(c) for c in self.served or self.forecasts) if d]
        return max(known) if known else None

    @property
    def generated_at(self) -> str | None:
        if self.run is None:
            return None
        return self.run.completed_at.isoformat().replace("+00:00", "Z")


@dataclass
class _Pending:
    task: asyncio.Task[Snapshot] | None = None
    live_task: asyncio.Task[None] | None = None
    live_checked: float = -1e9
    served: ServedState = field(default_factory=ServedState)


class ServingCache:
    """The served run of one target (attendances or admissions)."""

    def __init__(self, store: Store, refresh_seconds: float = 1.0,
                 target: Target = DEFAULT_TARGET, stale_after_days: int = 3) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self.target = target
        self.stale_after_days = stale_after_days
        self._snapshot: Snapshot | None = None
        self._pending = _Pending()

    async def snapshot(self) -> Snapshot:
        """The current view, checked against the database when older than refresh_seconds.

        Under steady traffic no request waits for the check: the view in hand is served while
        a check runs in the background. Only a view older than STALE_FACTOR checks (an idle
        process, or `refresh_seconds=0` in tests) makes the request wait for a fresh one.
        """
        snap = self._snapshot
        age = 0.0 if snap is None else time.monotonic() - snap.checked_at
        if snap is not None and age < self.refresh_seconds:
            return snap
        pending = self._pending
        if pending.task is None or pending.task.done():
            pending.task = asyncio.create_task(self._refresh(snap))
        if snap is not None and age < STALE_FACTOR * self.refresh_seconds:
            return snap
        return await asyncio.shield(pending.task)

    async def fresh_snapshot(self) -> Snapshot:
        """A view checked against the database now (readiness, tests)."""
        snap = await _in_thread(lambda: self._load(self._snapshot))
        self._snapshot = snap
        return snap

    def served_state(self) -> ServedState:
        return self._pending.served

    async def refresh_live_accuracy(self) -> None:
        """Live accuracy for /metrics, read at most every LIVE_REFRESH_SECONDS."""
        pending = self._pending
        if time.monotonic() - pending.live_checked < LIVE_REFRESH_SECONDS:
            return
        pending.live_checked = time.monotonic()
        try:
            rows = await _in_thread(lambda: read_live_accuracy(self.store))
        except Exception as exc:  # metrics must still answer: log and keep the last values
            log.warning("cannot read live accuracy for /metrics: %s", exc)
            return
        pending.served.live = [
            LiveAccuracy(
                r["trust_code"], int(r["horizon"]), r["mae"], r["coverage80"], r["coverage95"],
                bool(r["drift"]),
            )
            for r in rows.iter_rows(named=True)
        ]

    async def _refresh(self, previous: Snapshot | None) -> Snapshot:
        try:
            snap = await _in_thread(lambda: self._load(previous))
        except Exception:
            if previous is None:
                raise
            log.warning("cannot refresh the served run; serving the one in memory", exc_info=True)
            since = previous.unavailable_since or datetime.now(UTC)
            snap = replace(previous, checked_at=time.monotonic(), unavailable_since=since)
        self._snapshot = snap
        return snap

    def _load(self, previous: Snapshot | None) -> Snapshot:
        """Blocking: two one-row queries; the run and the trusts are read again only when
        they changed (trusts are never deleted, so their count tells)."""
        version = served_version(self.store, self.target)
        if previous is not None and _run_id(previous.run) == version.run_id:
            run, forecasts, nodes = previous.run, previous.forecasts, previous.nodes
            served = previous.served
        else:
            run = latest_complete_run(self.store, self.target)
            served, days = ({}, []) if run is None else run_days(self.store, run.run_id)
            forecasts = _forecasts(served, days)
            nodes = {} if run is None else _nodes(run_nodes(self.store, run.run_id))
            if run is not None:
                log.info("serving %s forecast run %s (%d trusts)", self.target, run.run_id,
                         len(forecasts))
        unchanged = previous is not None and previous.run is run
        if unchanged and previous is not None and len(previous.trusts) >= version.n_trusts:
            trusts = previous.trusts
        else:
            trusts = frozenset(self.store.trust_codes())
            trusts |= frozenset(forecasts)
            trusts -= {code for code, node in nodes.items() if node.level != "trust"}
        snap = Snapshot(run, forecasts, trusts, time.monotonic(), nodes=nodes, target=self.target,
                        served=served, stale_after_days=self.stale_after_days)
        if run is not None and self.target == DEFAULT_TARGET:  # one set of series per process
            self._pending.served.run = RunGauge(
                run.run_id, run.model, run.as_of.isoformat(), run.completed_at
            )
            codes = [c for c in snap.served if nodes.get(c, NodeInfo("trust", ())).level == "trust"]
            self._pending.served.data_to = {
                c: d for c in codes if (d := snap.data_to(c)) is not None}
        return snap


def _run_id(run: RunInfo | None) -> str | None:
    return None if run is None else run.run_id


def _forecasts(served: dict[str, ServedTrustRow], rows: list[ServedDayRow]
               ) -> dict[str, TrustForecast]:
    """Every trust's days of one run, pre-encoded."""
    days: dict[str, list[tuple[date, tuple[float, ...]]]] = {}
    for code, day, values in rows:
        days.setdefault(code, []).append((day, tuple(round(v, 2) for v in values)))
    result = {}
    for code, series in days.items():
        meta = served.get(code)
        result[code] = _encode(
            code, series, meta.model if meta else "", meta.model_version if meta else None,
            meta.status if meta else "ok", meta.data_to if meta else None,
        )
    return result


def _nodes(rows: list[tuple[str, str, str | None]]) -> dict[str, NodeInfo]:
    """The run's hierarchy (empty for a run made without one), each node with its ancestors."""
    parent = {code: up for code, _, up in rows}
    nodes = {}
    for code, level, _ in rows:
        chain: list[str] = []
        up = parent.get(code)
        while up is not None and up not in chain:
            chain.append(up)
            up = parent.get(up)
        nodes[code] = NodeInfo(level, tuple(chain))
    return nodes


def _encode(
    code: str, series: list[tuple[date, tuple[float, ...]]], model: str, version: str | None,
    status: str, data_to: date | None = None,
) -> TrustForecast:
    first = series[0][0]
    by_day = {day: values for day, values in series}
    count = (series[-1][0] - first).days + 1
    if count != len(series):  # a gap in a run would break slicing; keep the consecutive start
        count = next(i for i in range(count) if first + timedelta(days=i) not in by_day)
    days_json, days_csv, numbers = [], [], []
    for i in range(count):
        day = first + timedelta(days=i)
        values = by_day[day]
        item = {"date": day.isoformat(), **dict(zip(DAY_FIELDS, values, strict=True))}
        days_json.append(json.dumps(item, separators=(",", ":")).encode())
        days_csv.append(",".join([code, day.isoformat(), *map(repr, values)]))
        numbers.append(values)
    return TrustForecast(code, model, version, status, first, days_json, days_csv, numbers,
                         data_to)


async def _in_thread(work: Callable[[], T]) -> T:
    return await anyio.to_thread.run_sync(work)


def run_age_seconds(run: RunInfo, now: datetime) -> float:
    return (now - as_utc(run.completed_at)).total_seconds()

