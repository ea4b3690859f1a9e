"""A trust's forecast from the served run, as JSON or CSV, with an ETag for cheap polling."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from api.deps import ReadableTrustForecast, no_run
from api.routes.forecast_extras import enriched_response, forecast_head
from api.schemas import DEFAULT_DAYS, MAX_DAYS, Forecast, error_responses
from api.serving import DAY_FIELDS, Snapshot, TrustForecast
from contract.errors import InputError, NoForecastError
from forecast.targets import DEFAULT_TARGET

router = APIRouter(prefix="/v1/trusts", tags=["forecast"])

CSV_TYPE = "text/csv; charset=utf-8"
CSV_HEADER = ",".join(["trust_code", "date", *DAY_FIELDS])
UNAVAILABLE_HEADER = "X-Database-Unavailable-Since"
CACHE_CONTROL = "private, no-cache"  # keep it, but ask again with If-None-Match (a 304 is cheap)

Start = Annotated[
    date | None,
    Query(
        description="First day to return, YYYY-MM-DD; default tomorrow.", examples=["2024-12-03"]
    ),
]
Days = Annotated[
    int, Query(ge=1, le=MAX_DAYS, description="How many days from `start`.", examples=[14])
]
Threshold = Annotated[
    int | None,
    Query(ge=0, le=100_000, examples=[360],
          description="Adds `p_exceed` to each day: the probability that attendances exceed "
                      "this many, from the forecast's calibrated distribution."),
]
Include = Annotated[
    Literal["drivers"] | None,
    Query(description="`drivers` adds each day's drivers: the attendances that the recent "
                      "level, weekday, time of year, bank holidays, temperature, trend, "
                      "flu-season momentum and other factors contribute; they add up to "
                      "`point`."),
]
Format = Annotated[
    Literal["json", "csv"] | None,
    Query(
        alias="format",
        description="Overrides the Accept header: `csv` is the same as `Accept: text/csv`.",
    ),
]


@router.get(
    "/{trust_code}/forecast",
    response_model=Forecast,
    responses={
        200: {
            "description": "The forecast; `text/csv` when asked for (Accept or `format=csv`).",
            "content": {CSV_TYPE: {"example": f"{CSV_HEADER}\nRXX,2024-12-03,312.4,281.0,"
                                              "344.9,265.2,362.7\n"}},
        },
        304: {"description": "Unchanged since the ETag sent in If-None-Match."},
        **error_responses(401, 403, 404, 422, 503),
    },
)
async def get_forecast(
    request: Request,
    access: ReadableTrustForecast,
    start: Start = None,
    days: Days = DEFAULT_DAYS,
    fmt: Format = None,
    threshold: Threshold = None,
    include: Include = None,
) -> Response:
    """One trust's daily forecast with 80% and 95% intervals, one entry per requested day
    (`target=admissions`: emergency admissions via A&E)."""
    trust_code, snapshot = access.trust_code, access.snapshot
    served = _served(snapshot, trust_code)
    first = start or date.today() + timedelta(days=1)
    offset = (first - served.first).days
    if offset < 0 or offset + days > len(served.days_json):
        raise InputError(
            f"start/days: the served run forecasts {trust_code} from {served.first} to "
            f"{served.last}; ask for days within that range"
        )
    csv = fmt == "csv" or (fmt is None and _wants_csv(request.headers.get("accept", "")))
    assert snapshot.run is not None
    extra = "" if threshold is None and include is None else f"|{threshold}|{include}"
    of = "" if snapshot.target == DEFAULT_TARGET else f"|{snapshot.target}"
    tag = _etag(snapshot.run.run_id, trust_code, first, days, csv, extra + of)
    headers = {
        "ETag": tag,
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept, Authorization",
        "X-Run-ID": snapshot.run.run_id,
        "X-Model": served.model,
        "X-Model-Version": served.model_version or "",
    }
    if snapshot.unavailable_since is not None:  # served from memory while the database is away
        headers[UNAVAILABLE_HEADER] = snapshot.unavailable_since.isoformat(timespec="seconds")
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    if extra:
        return await enriched_response(request, snapshot, served, offset, days, csv,
                                       threshold, include, headers)
    if csv:
        lines = [CSV_HEADER, *served.days_csv[offset : offset + days], ""]
        return Response("\n".join(lines), media_type=CSV_TYPE, headers=headers)
    return Response(_json(snapshot, served, offset, days), media_type="application/json",
                    headers=headers)


def _served(snapshot: Snapshot, trust_code: str) -> TrustForecast:
    if snapshot.run is None:
        raise no_run(snapshot.target)
    served = snapshot.forecasts.get(trust_code)
    if served is None:
        raise NoForecastError(f"the served {snapshot.target} run {snapshot.run.run_id} has no "
                              f"forecast for {trust_code}")
    return served


def _json(snapshot: Snapshot, served: TrustForecast, offset: int, days: int) -> bytes:
    head = forecast_head(snapshot, served)
    prefix = json.dumps(head, separators=(",", ":"))[:-1].encode() + b',"days":['
    return prefix + b",".join(served.days_json[offset : offset + days]) + b"]}"


def _wants_csv(accept: str) -> bool:
    """CSV when the client prefers it: listed, and before any JSON type."""
    if "text/csv" not in accept:
        return False
    json_at = accept.find("application/json")
    return json_at < 0 or accept.find("text/csv") < json_at


def _etag(run_id: str, trust_code: str, start: date, days: int, csv: bool, extra: str = ""
          ) -> str:
    query = f"{trust_code}|{start.isoformat()}|{days}|{'csv' if csv else 'json'}{extra}"
    return f'"{run_id}.{hashlib.blake2b(query.encode(), digest_size=6).hexdigest()}"'


def _matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in candidates or tag in candidates
