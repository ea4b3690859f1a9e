"""Shared dependencies: settings, store, serving cache, the caller's key and access checks.

Every access rule lives here, once:

    no or bad key                         401 (AuthenticationError)
    key below the route's scope           403 (PermissionDeniedError)
    trust the key may not see, or none    404 (NotFoundError), the same body either way,
                                          so a key learns nothing about other trusts

Handlers ask for `ReadKey` / `WriteKey` / `ReadableTrust` / `WritableTrust` and trust them.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from aeforecast.contract import TRUST_CODE_PATTERN
from aeforecast.errors import NotFoundError, PermissionDeniedError
from aeforecast.settings import Settings
from aeforecast.store import Store
from api.auth import KeyCache
from api.keystore import KeyRecord
from api.security import Scope, scope_allows
from api.serving import ServingCache, Snapshot

_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="aef_<prefix>_<secret>",
    description="An API key from `aeforecast keys create`.",
)
_TRUST_CODE = re.compile(TRUST_CODE_PATTERN)


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_serving(request: Request) -> ServingCache:
    serving: ServingCache = request.app.state.serving
    return serving


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
ServingDep = Annotated[ServingCache, Depends(get_serving)]


async def get_snapshot(serving: ServingDep) -> Snapshot:
    return await serving.snapshot()


SnapshotDep = Annotated[Snapshot, Depends(get_snapshot)]


async def authenticated_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> KeyRecord:
    keys: KeyCache = request.app.state.keys
    record = await keys.authenticate(None if credentials is None else credentials.credentials)
    request.state.key_prefix = record.prefix  # for the access log
    return record


def _requiring(scope: Scope) -> object:
    async def check(key: Annotated[KeyRecord, Depends(authenticated_key)]) -> KeyRecord:
        if not scope_allows(key.scope, scope):
            raise PermissionDeniedError(f"this key has scope '{key.scope}'; this needs '{scope}'")
        return key

    return check


ReadKey = Annotated[KeyRecord, Depends(_requiring("read"))]
WriteKey = Annotated[KeyRecord, Depends(_requiring("write"))]

TrustPath = Annotated[
    str,
    Path(
        description="NHS ODS-style trust code, 3 to 5 upper-case letters or digits.",
        examples=["RXX"],
    ),
]


def visible_trust(trust_code: str, key: KeyRecord, snapshot: Snapshot) -> str:
    """The trust, if it exists and the key may see it; otherwise one and the same 404."""
    known = _TRUST_CODE.fullmatch(trust_code) and trust_code in snapshot.trusts
    if not known or not key.may_see(trust_code):
        raise NotFoundError(f"no trust '{trust_code}'")
    return trust_code


async def readable_trust(trust_code: TrustPath, key: ReadKey, snapshot: SnapshotDep) -> str:
    return visible_trust(trust_code, key, snapshot)


async def writable_trust(trust_code: TrustPath, key: WriteKey, snapshot: SnapshotDep) -> str:
    return visible_trust(trust_code, key, snapshot)


ReadableTrust = Annotated[str, Depends(readable_trust)]
WritableTrust = Annotated[str, Depends(writable_trust)]
