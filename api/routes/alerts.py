"""Pinch points: the coming days likely to exceed the trust's capacity thresholds, and why."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from api.deps import ServedTrustDep, StoreDep
from api.insight_schemas import Alert, Alerts, AlertThreshold, DriverOut
from api.insights import DriverCache, alert_reason, driver_items, served_days
from api.responses import freshness
from api.schemas import DEFAULT_DAYS, MAX_DAYS, error_responses
from contract.errors import InputError
from store.thresholds import read_thresholds

router = APIRouter(prefix="/v1/trusts", tags=["alerts"])
DEFAULT_LEVEL = 0.2

Level = Annotated[float, Query(gt=0, lt=1, examples=[0.2], description=(
    "Alert on days whose probability of exceeding a threshold is at least this."))]
Start = Annotated[date | None, Query(description="First day to look at; default tomorrow.")]
Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="How many days from `start`; "
                                                           "fewer where the run ends.")]
AdHoc = Annotated[int | None, Query(ge=0, le=100_000, description=(
    "Check this threshold (attendances a day) instead of the trust's stored ones."))]


@router.get("/{trust_code}/alerts", response_model=Alerts,
            responses=error_responses(401, 403, 404, 422, 503))
def get_alerts(request: Request, access: ServedTrustDep, store: StoreDep,
               level: Level = DEFAULT_LEVEL, start: Start = None, days: Days = DEFAULT_DAYS,
               threshold: AdHoc = None) -> Alerts:
    """Coming days with P(attendances > a threshold) >= `level`, each with the reason in words,
    from the trust's thresholds (`PUT .../thresholds`) and the served forecast."""
    code, served, run = access.trust_code, access.forecast, access.run
    first = start or date.today() + timedelta(days=1)
    offset = (first - served.first).days
    if offset < 0 or offset >= len(served.values):
        raise InputError(f"start: the served run forecasts {code} from {served.first} to "
                         f"{served.last}; choose a start within that range")
    days = min(days, len(served.values) - offset)
    limits = ([AlertThreshold(name=f"{threshold}", attendances=threshold)] if threshold is not None
              else [AlertThreshold(name=t.name, attendances=t.attendances)
                    for t in read_thresholds(store, code)])
    cache: DriverCache = request.app.state.drivers
    drivers = cache.for_trust(run.run_id, code)
    alerts: list[Alert] = []
    for limit in limits:
        for row in served_days(served, offset, days, limit.attendances, drivers):
            if row.p_exceed is None or row.p_exceed < level:
                continue
            v = row.values
            alerts.append(Alert(
                date=row.day, threshold=limit, p_exceed=round(row.p_exceed, 4), point=v["point"],
                lo80=v["lo80"], hi80=v["hi80"],
                reason=alert_reason(v["point"], v["lo80"], v["hi80"], row.drivers, row.day),
                drivers=[DriverOut(**d) for d in driver_items(row.drivers or {}, row.day)]))
    alerts.sort(key=lambda a: (a.date, -a.threshold.attendances))
    note = None if limits else (f"no capacity thresholds set for {code}: an admin key can set "
                                f"them with PUT /v1/trusts/{code}/thresholds")
    fresh = freshness(access.snapshot, code)
    return Alerts(trust_code=code, run_id=run.run_id, level=level, first_date=first,
                  last_date=first + timedelta(days=days - 1), thresholds=limits,
                  alerts=alerts, note=note, data_to=fresh.data_to, stale=fresh.stale)
