"""Shared dependencies: settings, store, and the access checks, once.

    no or bad key                         401 (AuthenticationError); 429 once the client
                                          address has failed too often (api.ratelimit)
    key over its request rate             429 (RateLimitedError), with Retry-After
    key below the route's scope           403 (PermissionDeniedError)
    trust the key may not see, or none    404 (NotFoundError), the same body either way,
                                          so a key learns nothing about other trusts

Handlers ask for `ReadAccess` (key + served snapshot), `ReadableTrust`, `WritableTrust` or
`AdminTrust` (the same, for one trust they may use), or `ServedTrustDep` / `ServedTrustForecast`
(a readable trust in the served run, with its days: 404 NoForecastError otherwise, one check
with one wording), and trust what they get. Forecast reads
name a target (`?target=admissions`): their snapshot, and so the hierarchy that decides what a
key limited to a node may see, is that of the run served for the target. Each is one
dependency that calls plain functions, not a tree of them: FastAPI spends tens of microseconds
per dependency node, and the forecast read is the path that must serve a thousand requests a second.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api.auth import KeyCache
from api.ratelimit import TokenBuckets
from api.serving import ServingCache, Snapshot, TrustForecast
from contract.errors import (
    AuthenticationError,
    NoForecastError,
    NotFoundError,
    PermissionDeniedError,
)
from contract.inputs import TRUST_CODE_PATTERN
from contract.keys import Scope, scope_allows
from contract.settings import Settings
from forecast.targets import DEFAULT_TARGET, Target
from store import Store
from store.keys import KeyRecord
from store.runs import RunInfo

_TRUST_CODE = re.compile(TRUST_CODE_PATTERN)
# The bearer scheme is read here and documented in OpenAPI by api.app (BEARER_SCHEME): as a
# FastAPI security dependency it would cost one more dependency node per request.
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "aef_<prefix>_<secret>",
    "description": "An API key from `aeforecast keys create`.",
}
TrustPath = Annotated[
    str,
    Path(
        description="NHS ODS-style trust code, 3 to 5 upper-case letters or digits.",
        examples=["RXX"],
    ),
]


TargetQuery = Annotated[
    Target,
    Query(description="What is forecast: type 1 attendances (default) or emergency admissions "
                      "via A&E (served once the batch has run on admissions data)."),
]
NodePath = Annotated[
    str,
    Path(description="The node's code: an ICS (e.g. QE1), region (Y56), nation (ENG) or site "
         "(RXX01).", examples=["Y56"]),
]


@dataclass(frozen=True)
class Access:
    """An authenticated caller with the scope the route needs, and what is being served."""

    key: KeyRecord
    snapshot: Snapshot


@dataclass(frozen=True)
class TrustAccess(Access):
    """The same, for one trust the key may use and that exists."""

    trust_code: str


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_serving(request: Request) -> ServingCache:
    serving: ServingCache = request.app.state.serving
    return serving


def serving_for(request: Request, target: Target) -> ServingCache:
    """The served run of `target`: attendances (`app.state.serving`) or admissions."""
    state = request.app.state
    serving: ServingCache = state.serving if target == DEFAULT_TARGET else state.admissions
    return serving


def no_run(target: Target) -> NoForecastError:
    """The error for a read of `target` before any run of it: the contract's 404 body."""
    return NoForecastError(f"no {target} forecast run yet: the nightly batch has not run"
                           + ("" if target == DEFAULT_TARGET else f" on {target} data"))


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ServingDep = Annotated[ServingCache, Depends(get_serving)]


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def _access(request: Request, scope: Scope, target: Target = DEFAULT_TARGET) -> Access:
    return await access_for(request, _bearer_token(request), scope, target)


async def access_for(request: Request, token: str | None, scope: Scope,
                     target: Target = DEFAULT_TARGET) -> Access:
    """The checks above for a key however it came (the dashboard also takes a cookie)."""
    keys: KeyCache = request.app.state.keys
    try:
        key = await keys.authenticate(token)
    except AuthenticationError:
        address = request.client.host if request.client else "-"
        failures: TokenBuckets = request.app.state.auth_failure_limit
        failures.check(address, "this address (failed key checks)")
        raise
    request.state.key_prefix = key.prefix  # for the access log
    limit: TokenBuckets = request.app.state.key_limit
    limit.check(key.key_id, f"key {key.prefix}")
    if not scope_allows(key.scope, scope):
        raise PermissionDeniedError(f"this key has scope '{key.scope}'; this needs '{scope}'")
    return Access(key, await serving_for(request, target).snapshot())


def may_see(key: KeyRecord, code: str, snapshot: Snapshot) -> bool:
    """A key limited to nodes sees them and every node below them in the served hierarchy
    (a key for an ICS sees its trusts and sites; a key for a trust does not see its ICS)."""
    if key.may_see(code):
        return True
    node = snapshot.nodes.get(code)
    return node is not None and any(key.may_see(up) for up in node.ancestors)


def _trust(access: Access, trust_code: str) -> TrustAccess:
    """The trust, if it exists and the key may see it; otherwise one and the same 404."""
    known = _TRUST_CODE.fullmatch(trust_code) and trust_code in access.snapshot.trusts
    if not known or not may_see(access.key, trust_code, access.snapshot):
        raise NotFoundError(f"no trust '{trust_code}'")
    return TrustAccess(access.key, access.snapshot, trust_code)


def trust_for(access: Access, trust_code: str) -> TrustAccess:
    """The one trust check, for callers that authenticate by other means (the dashboard)."""
    return _trust(access, trust_code)


async def read_access(request: Request) -> Access:
    return await _access(request, "read")


async def readable_trust(request: Request, trust_code: TrustPath) -> TrustAccess:
    return _trust(await _access(request, "read"), trust_code)


async def served_trust(request: Request, trust_code: TrustPath) -> ServedTrust:
    """`readable_trust`, and the trust is in the served attendances run."""
    return _served_trust(_trust(await _access(request, "read"), trust_code))


async def served_trust_forecast(request: Request, trust_code: TrustPath,
                                target: TargetQuery = DEFAULT_TARGET) -> ServedTrust:
    """`readable_trust` against the run served for `target` (its snapshot, its hierarchy), and
    the trust is in that run."""
    return _served_trust(_trust(await _access(request, "read", target), trust_code))


async def writable_trust(request: Request, trust_code: TrustPath) -> TrustAccess:
    return _trust(await _access(request, "write"), trust_code)


async def admin_trust(request: Request, trust_code: TrustPath) -> TrustAccess:
    return _trust(await _access(request, "admin"), trust_code)


@dataclass(frozen=True)
class ServedTrust(TrustAccess):
    """The same, forecast by the run served for the target: the run and the trust's days."""

    run: RunInfo
    forecast: TrustForecast


def served_forecast(snapshot: Snapshot, code: str) -> tuple[RunInfo, TrustForecast]:
    """The served run and the days it holds for `code` (a trust or a hierarchy node): the one
    "no served forecast" check, with one wording for each of its two cases."""
    if snapshot.run is None:
        raise no_run(snapshot.target)
    served = snapshot.forecasts.get(code)
    if served is None:
        left_out = snapshot.served.get(code)
        why = f": {left_out.reason}" if left_out is not None and left_out.reason else ""
        raise NoForecastError(f"the served {snapshot.target} run {snapshot.run.run_id} has no "
                              f"forecast for {code}{why}")
    return snapshot.run, served


def _served_trust(access: TrustAccess) -> ServedTrust:
    run, served = served_forecast(access.snapshot, access.trust_code)
    return ServedTrust(access.key, access.snapshot, access.trust_code, run, served)


@dataclass(frozen=True)
class NodeAccess(Access):
    """A node of the served run's hierarchy at the route's level, that the key may see."""

    node_code: str
    level: str


def readable_node(level: str) -> Callable[[Request, str, Target], Awaitable[NodeAccess]]:
    """The dependency of `/v1/<level>/{code}/...?target=`: NoForecastError before any run of
    the target; then one and the same 404 for a node that is not at this level, not in the
    hierarchy of the run served for the target, or not visible to the key in that hierarchy."""

    async def dependency(request: Request, code: NodePath,
                         target: TargetQuery = DEFAULT_TARGET) -> NodeAccess:
        access = await _access(request, "read", target)
        snapshot = access.snapshot
        if snapshot.run is None:
            raise no_run(target)
        node = snapshot.nodes.get(code)
        if node is None or node.level != level or not may_see(access.key, code, snapshot):
            raise NotFoundError(f"no {level} '{code}'")
        return NodeAccess(access.key, snapshot, code, level)

    return dependency


ReadAccess = Annotated[Access, Depends(read_access)]
ReadableTrust = Annotated[TrustAccess, Depends(readable_trust)]
ServedTrustDep = Annotated[ServedTrust, Depends(served_trust)]
ServedTrustForecast = Annotated[ServedTrust, Depends(served_trust_forecast)]
WritableTrust = Annotated[TrustAccess, Depends(writable_trust)]
AdminTrust = Annotated[TrustAccess, Depends(admin_trust)]
