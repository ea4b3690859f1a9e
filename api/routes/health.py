"""Operations endpoints, no key needed: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime

import anyio.to_thread
from fastapi import APIRouter, Request, Response

from api.deps import ServingDep, StoreDep
from api.errors import error_response
from api.metrics import CONTENT_TYPE, ApiMetrics
from api.schemas import Health, Ready, error_responses
from api.serving import run_age_seconds
from contract.errors import ForecastError

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (it says nothing about the database)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Ready, responses=error_responses(503))
async def readyz(store: StoreDep, serving: ServingDep) -> Response | Ready:
    """Ready to serve: the database answers, a complete forecast run exists and some trust's
    data in it is fresh (within AEF_STALE_AFTER_DAYS of today); else 503 with the reason.
    A read-only database still serves forecasts: 200, with `writable: false` and why."""
    try:
        await anyio.to_thread.run_sync(store.ping)
        snapshot = await serving.fresh_snapshot()
        write_problem = await anyio.to_thread.run_sync(store.write_problem)
    except ForecastError as exc:
        return error_response(503, exc.code, "the database is unavailable")
    if snapshot.run is None:
        return error_response(503, "no_forecast", "no forecast run yet: run `aeforecast batch`")
    run = snapshot.run
    newest = snapshot.newest_data_to()
    if newest is not None and snapshot.is_stale_everywhere():
        days = (date.today() - newest).days
        return error_response(
            503, "stale_data",
            f"every trust's data is stale: the newest ends {newest}, {days} days ago (limit "
            f"{snapshot.stale_after_days}, AEF_STALE_AFTER_DAYS); run {run.run_id} is served "
            "flagged stale: ingest newer data and run the batch")
    age = run_age_seconds(run, datetime.now(UTC))
    return Ready(status="ready", run_id=run.run_id, as_of=run.as_of, run_age_seconds=age,
                 data_to=newest, writable=write_problem is None, writes=write_problem)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format."}},
)
async def metrics(request: Request, serving: ServingDep) -> Response:
    """Request counts and latencies by route and status, run age, live accuracy."""
    await serving.refresh_live_accuracy()
    registry: ApiMetrics = request.app.state.metrics
    body = await anyio.to_thread.run_sync(registry.render)
    return Response(body, media_type=CONTENT_TYPE)
