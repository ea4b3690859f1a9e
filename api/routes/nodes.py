"""Forecasts above and below the trust: ICSs, regions, nations and sites, coherent with trusts.

The served run, when the batch ran over a hierarchy, holds reconciled forecasts for every node:
a region's point is the sum of its ICSs', an ICS's the sum of its trusts', a trust's the sum of
its sites'. Each level has its own calibrated intervals. Same shape as the trust forecast, with
`node_code` and `level` in place of `trust_code`. `?target=admissions` serves the admissions run
(made over the same mapping, with the nodes that report admissions); which nodes exist, and
which a key may see, is decided by the hierarchy of the run served (`api.deps.readable_node`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from api.deps import NodeAccess, readable_node, served_forecast
from api.responses import (
    CACHE_CONTROL,
    CSV_TYPE,
    FRESHNESS_COLUMNS,
    Days,
    Format,
    Start,
    etag,
    freshness,
    matches,
    wants_csv,
    window,
)
from api.schemas import error_responses
from forecast.targets import DEFAULT_TARGET
from store.served import DAY_FIELDS

IcsAccess = Annotated[NodeAccess, Depends(readable_node("ics"))]
RegionAccess = Annotated[NodeAccess, Depends(readable_node("region"))]
NationAccess = Annotated[NodeAccess, Depends(readable_node("nation"))]
SiteAccess = Annotated[NodeAccess, Depends(readable_node("site"))]
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The forecast; `text/csv` when asked for (Accept or `format=csv`)."},
    304: {"description": "Unchanged since the ETag sent in If-None-Match."},
    **error_responses(401, 403, 404, 422, 429, 503),
}
router = APIRouter(tags=["hierarchy"], responses=RESPONSES)


@router.get("/v1/ics/{code}/forecast")
async def get_ics_forecast(request: Request, access: IcsAccess, start: Start = None,
                           days: Days = None, fmt: Format = None) -> Response:
    """An integrated care system's daily forecast: the sum of its trusts', with its own
    calibrated 80% and 95% intervals."""
    return _respond(request, access, start, days, fmt)


@router.get("/v1/regions/{code}/forecast")
async def get_region_forecast(request: Request, access: RegionAccess, start: Start = None,
                              days: Days = None, fmt: Format = None) -> Response:
    """An NHS England region's daily forecast: the sum of its ICSs', with its own intervals."""
    return _respond(request, access, start, days, fmt)


@router.get("/v1/nations/{code}/forecast")
async def get_nation_forecast(request: Request, access: NationAccess, start: Start = None,
                              days: Days = None, fmt: Format = None) -> Response:
    """A nation's (ENG, WLS, SCT, NIR) daily forecast: the sum of its regions'."""
    return _respond(request, access, start, days, fmt)


@router.get("/v1/sites/{code}/forecast")
async def get_site_forecast(request: Request, access: SiteAccess, start: Start = None,
                            days: Days = None, fmt: Format = None) -> Response:
    """One site's (emergency department's) daily forecast; its trust's is the sum of its
    sites'."""
    return _respond(request, access, start, days, fmt)


def _respond(request: Request, access: NodeAccess, start: date | None, days: int | None,
             fmt: str | None) -> Response:
    snapshot, code, target = access.snapshot, access.node_code, access.snapshot.target
    run, served = served_forecast(snapshot, code)
    first, offset, days = window(snapshot, served, code, start, days)
    fresh = freshness(snapshot, code)
    csv = fmt == "csv" or (fmt is None and wants_csv(request.headers.get("accept", "")))
    extra = ("" if target == DEFAULT_TARGET else f"|{target}") + f"|{fresh.stale}"
    tag = etag(run.run_id, f"{access.level}:{code}", first, days, csv, extra)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept, Authorization",
               "X-Run-ID": run.run_id, "X-Model": served.model,
               "X-Model-Version": served.model_version or "", **fresh.headers()}
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    if csv:
        header = ",".join(["node_code", "date", *DAY_FIELDS, *FRESHNESS_COLUMNS])
        suffix = fresh.csv_suffix()
        lines = [header, *(day + suffix for day in served.days_csv[offset: offset + days]), ""]
        return Response("\n".join(lines), media_type=CSV_TYPE, headers=headers)
    head: dict[str, Any] = {
        "node_code": code, "level": access.level, "target": target,
        "run_id": run.run_id, "model": served.model,
        "model_version": served.model_version, "generated_at": snapshot.generated_at,
        "as_of": run.as_of.isoformat(), **fresh.fields(),
    }
    prefix = json.dumps(head, separators=(",", ":"))[:-1].encode() + b',"days":['
    body = prefix + b",".join(served.days_json[offset: offset + days]) + b"]}"
    return Response(body, media_type="application/json", headers=headers)

