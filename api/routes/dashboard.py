"""`GET /dashboard`: the trusts a key may see; `GET /dashboard/{code}`: one trust's page.

HTML for people (see api.dashboard). Sign in once with `?token=KEY` (read scope); the key's
trust list applies exactly as in the API, with the same 404 for a trust it may not see as for
one that does not exist.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from importlib.resources import files
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.dashboard import page as html
from api.dashboard.data import gather, hourly_view
from api.dashboard.session import dashboard_access, signed_in, signed_out
from api.deps import Access, TrustPath, may_see, trust_for
from api.insights import DriverCache
from api.routes.hourly import profiles
from contract.errors import AuthenticationError, NotFoundError, PermissionDeniedError

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
Token = Annotated[str | None, Query(description="A read key, once; it is then kept in a cookie.")]
Threshold = Annotated[int | None, Query(ge=0, le=100_000)]
HourlyDay = Annotated[date | None, Query(alias="day")]
CSS = files("api.dashboard").joinpath("dashboard.css").read_bytes


@router.get("/static/dashboard.css")
def stylesheet() -> Response:
    return Response(CSS(), media_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/logout")
def logout() -> RedirectResponse:
    return signed_out("/dashboard")


@router.get("")
async def trust_list(request: Request, token: Token = None) -> Response:
    """Every trust the key may see, with its latest run."""
    access = await _signed_in(request, token)
    if isinstance(access, Response):
        return access
    snapshot = access.snapshot
    rows = []
    for code in sorted(c for c in snapshot.trusts if may_see(access.key, c, snapshot)):
        served, row = snapshot.forecasts.get(code), snapshot.served.get(code)
        in_run = snapshot.run is not None and (served is not None or row is not None)
        as_of = snapshot.run.as_of.isoformat() if snapshot.run and in_run else None
        model = served.model if served else ("not forecast" if in_run else None)
        data_to = snapshot.data_to(code) if in_run else None
        rows.append((code, as_of, model, data_to, in_run and snapshot.is_stale(code)))
    return _html(html.trust_list(rows))


@router.get("/{trust_code}")
async def trust_page(
    request: Request, trust_code: TrustPath, token: Token = None, threshold: Threshold = None,
    day: HourlyDay = None,
) -> Response:
    """One trust: forecast chart, days, pinch points, drivers, hours, live accuracy."""
    access = await _signed_in(request, token)
    if isinstance(access, Response):
        return access
    try:
        trust = trust_for(access, trust_code)
    except NotFoundError as exc:
        return _html(html.message_page("Not found", str(exc)), 404)
    snapshot = trust.snapshot
    served = snapshot.forecasts.get(trust.trust_code)
    left_out = snapshot.served.get(trust.trust_code)
    if snapshot.run is not None and served is None and left_out is not None:
        return _html(html.message_page(trust.trust_code, f"Not forecast in run "
                     f"{snapshot.run.run_id}: {left_out.reason or left_out.status}."))
    if snapshot.run is None or served is None:
        return _html(html.message_page(
            trust.trust_code, "No forecast yet: the nightly batch has not run for this trust."))
    cache: DriverCache = request.app.state.drivers
    run_id, store = snapshot.run.run_id, request.app.state.store
    drivers = await anyio.to_thread.run_sync(lambda: cache.for_trust(run_id, served.trust_code))
    page = await anyio.to_thread.run_sync(
        lambda: gather(store, snapshot, served, drivers, threshold))
    tomorrow = date.today() + timedelta(days=1)
    if day is None or not served.first <= day <= served.last:
        day = tomorrow if served.first <= tomorrow <= served.last else served.first
    profile = await profiles(request).get(served.trust_code)
    page = replace(page, hourly=hourly_view(served, profile, day))
    return _html(html.trust_page(page))


async def _signed_in(request: Request, token: str | None) -> Access | Response:
    """The caller's access, a redirect that stores a fresh token, or an HTML error page."""
    try:
        access = await dashboard_access(request, token)
    except AuthenticationError as exc:
        return _html(html.message_page("Sign in", str(exc)), 401)
    except PermissionDeniedError as exc:
        return _html(html.message_page("Not allowed", str(exc)), 403)
    if token is not None:
        return signed_in(request, token)
    return access


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store"})
