"""The FastAPI application factory; nothing is built at import time.

    uvicorn --factory api.app:create_app      (what `aeforecast serve` runs)

The lifespan opens the store, the serving cache and the key cache; the store is not migrated
here (`aeforecast serve` migrates once before starting workers).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.auth import KeyCache
from api.deps import BEARER_SCHEME
from api.errors import install_error_handlers
from api.forwarded import ForwardedMiddleware, TrustedProxies
from api.insights import DriverCache
from api.metrics import ApiMetrics
from api.middleware import RequestMiddleware
from api.ratelimit import TokenBuckets
from api.routes import (
    actuals,
    alerts,
    dashboard,
    forecast,
    health,
    hourly,
    nodes,
    scenario,
    thresholds,
    trusts,
)
from api.schemas import error_responses
from api.serving import ServingCache
from batch.scenario import ScenarioEngine
from contract.settings import Settings, get_settings
from store import Store

MAX_BODY_BYTES = 1_048_576
DESCRIPTION = """\
Daily A&E attendance forecasts for NHS trusts, with 80% and 95% intervals, from the nightly
forecast run; and the endpoints through which actuals and temperature arrive.

Every `/v1/` path needs `Authorization: Bearer <key>` (keys come from `aeforecast keys create`,
with a scope `read` < `write` < `admin` and optionally a list of trusts). Errors are always
`{"error": {"code": "...", "message": "..."}}`. Every response carries `X-Request-ID`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    refresh_seconds: float = 1.0,
    key_ttl_seconds: float = 5.0,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """The API on `settings` (default: from the environment).

    `refresh_seconds`: how often a process checks for a newer forecast run; `key_ttl_seconds`:
    how long a key's row is trusted from memory (a revoked key stops working within it).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store.from_settings(settings)
        app.state.store = store
        stale = settings.stale_after_days
        app.state.serving = ServingCache(store, refresh_seconds, stale_after_days=stale)
        app.state.admissions = ServingCache(store, refresh_seconds, "admissions", stale)
        app.state.keys = KeyCache(store, key_ttl_seconds,
                                  grace=settings.key_outage_grace_seconds)
        app.state.drivers = DriverCache(store)
        app.state.scenarios = ScenarioEngine(store, settings.model_dir)
        app.state.scenario_slots = threading.BoundedSemaphore(scenario.AT_ONCE)
        gc.freeze()  # the imports' objects never die: keep them out of every GC pass
        try:
            yield
        finally:
            await app.state.keys.flush()
            store.close()

    app = FastAPI(
        title="ae-forecast",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},  # /metrics is ours
        openapi_tags=[
            {"name": "forecast", "description": "Forecasts from the latest complete run."},
            {"name": "trusts", "description": "The trusts a key may see."},
            {"name": "actuals", "description": "Posting attendances and temperature."},
            {"name": "thresholds", "description": "Capacity thresholds per trust."},
            {"name": "alerts", "description": "Days likely to exceed the thresholds, and why."},
            {"name": "scenario", "description": "What if: forecasts under other temperatures."},
            {"name": "operations", "description": "Health, readiness and metrics; no key."},
        ],
    )
    app.state.settings = settings
    app.state.key_limit = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app.state.auth_failure_limit = TokenBuckets(
        settings.rate_limit_per_minute, settings.rate_limit_burst
    )
    app.state.metrics = ApiMetrics(lambda: app.state.serving.served_state(), _now)
    install_error_handlers(app)
    app.add_middleware(RequestMiddleware, metrics=app.state.metrics, max_body=max_body_bytes)
    app.add_middleware(ForwardedMiddleware,  # outermost: logs and limits see the real client
                       trusted=TrustedProxies.parse(settings.forwarded_allow_ips))
    for module in (forecast, hourly, trusts, actuals, thresholds, alerts, scenario, nodes,
                   health, dashboard):
        app.include_router(module.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus what every /v1/ operation shares: the bearer scheme (see
    api.deps), 429 (api.ratelimit) and, with a body, 415 (api.errors)."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        document.setdefault("components", {})["securitySchemes"] = {"HTTPBearer": BEARER_SCHEME}
        for path, operations in document["paths"].items():
            if path.startswith("/v1/"):
                for operation in operations.values():
                    operation["security"] = [{"HTTPBearer": []}]
                    shared = (415, 429) if "requestBody" in operation else (429,)
                    for status in shared:
                        operation["responses"].setdefault(str(status), _SHARED[status])
        app.openapi_schema = document
    return app.openapi_schema


def _error_schema(status: int) -> dict[str, Any]:
    """An error_responses entry as it appears in the document (the model as a reference)."""
    entry = dict(error_responses(status)[status])
    del entry["model"]
    entry["content"]["application/json"]["schema"] = {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    return entry


_SHARED = {status: _error_schema(status) for status in (415, 429)}


def _now() -> datetime:
    return datetime.now(UTC)
