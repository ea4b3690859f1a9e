"""A trust's forecast from the served run, as JSON or CSV, with an ETag for cheap polling."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response

from api.deps import ServedTrustForecast
from api.responses import (
    CACHE_CONTROL,
    CSV_HEADER,
    CSV_TYPE,
    UNAVAILABLE_HEADER,
    Days,
    Format,
    Include,
    Start,
    Threshold,
    etag,
    freshness,
    matches,
    wants_csv,
    window,
)
from api.routes.forecast_extras import enriched_response, forecast_head
from api.schemas import Forecast, error_responses
from api.serving import Snapshot, TrustForecast
from forecast.targets import DEFAULT_TARGET

router = APIRouter(prefix="/v1/trusts", tags=["forecast"])

@router.get(
    "/{trust_code}/forecast",
    response_model=Forecast,
    responses={
        200: {
            "description": "The forecast; `text/csv` when asked for (Accept or `format=csv`).",
            "content": {CSV_TYPE: {"example": f"{CSV_HEADER}\nRXX,2024-12-03,312.4,281.0,"
                                              "344.9,265.2,362.7,2024-12-01,false\n"}},
        },
        304: {"description": "Unchanged since the ETag sent in If-None-Match."},
        **error_responses(401, 403, 404, 422, 503),
    },
)
async def get_forecast(
    request: Request,
    access: ServedTrustForecast,
    start: Start = None,
    days: Days = None,
    fmt: Format = None,
    threshold: Threshold = None,
    include: Include = None,
) -> Response:
    """One trust's daily forecast with 80% and 95% intervals, one entry per requested day
    (`target=admissions`: emergency admissions via A&E)."""
    trust_code, snapshot, served, run = (
        access.trust_code, access.snapshot, access.forecast, access.run)
    first, offset, days = window(snapshot, served, trust_code, start, days)
    fresh = freshness(snapshot, trust_code)
    csv = fmt == "csv" or (fmt is None and wants_csv(request.headers.get("accept", "")))
    extra = "" if threshold is None and include is None else f"|{threshold}|{include}"
    of = "" if snapshot.target == DEFAULT_TARGET else f"|{snapshot.target}"
    tag = etag(run.run_id, trust_code, first, days, csv, f"{extra}{of}|{fresh.stale}")
    headers = {
        "ETag": tag,
        "Cache-Control": CACHE_CONTROL,
        "Vary": "Accept, Authorization",
        "X-Run-ID": run.run_id,
        "X-Model": served.model,
        "X-Model-Version": served.model_version or "",
        **fresh.headers(),
    }
    if snapshot.unavailable_since is not None:  # served from memory while the database is away
        headers[UNAVAILABLE_HEADER] = snapshot.unavailable_since.isoformat(timespec="seconds")
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    if extra:
        return await enriched_response(request, snapshot, served, offset, days, csv,
                                       threshold, include, headers)
    if csv:
        suffix = fresh.csv_suffix()
        lines = [CSV_HEADER, *(day + suffix for day in served.days_csv[offset : offset + days]),
                 ""]
        return Response("\n".join(lines), media_type=CSV_TYPE, headers=headers)
    return Response(_json(snapshot, served, offset, days), media_type="application/json",
                    headers=headers)


def _json(snapshot: Snapshot, served: TrustForecast, offset: int, days: int) -> bytes:
    head = forecast_head(snapshot, served)
    prefix = json.dumps(head, separators=(",", ":"))[:-1].encode() + b',"days":['
    return prefix + b",".join(served.days_json[offset : offset + days]) + b"]}"
