"""API keys in the database: create, find by prefix, list, revoke, note last use.

Rows live in the `api_keys` table (migration 0002). The secret itself is never stored; see
`contract.keys` for the key format and the check.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from contract.errors import InputError, NotFoundError
from contract.inputs import TRUST_CODE_PATTERN
from contract.keys import SCOPES, NewKey, Scope, generate_key
from store import Store
from store import _tables as t
from store.runs import as_utc

MAX_NAME = 200


@dataclass(frozen=True)
class KeyRecord:
    """One stored key; `trusts` None means every trust."""

    key_id: str
    name: str
    prefix: str
    key_hash: str
    scope: str
    trusts: frozenset[str] | None
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    expires_at: datetime | None = None  # None: never

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or datetime.now(UTC)) >= self.expires_at

    def status(self, now: datetime | None = None) -> str:
        if not self.active:
            return "revoked"
        return "expired" if self.expired(now) else "active"

    def may_see(self, trust_code: str) -> bool:
        return self.trusts is None or trust_code in self.trusts


@dataclass(frozen=True)
class CreatedKey:
    token: str  # shown once, never stored
    record: KeyRecord


def create_key(
    store: Store, name: str, scope: Scope, trusts: Sequence[str] | None = None,
    expires_at: datetime | None = None,
) -> CreatedKey:
    """A new key; InputError for an empty name, an unknown scope, a malformed trust code or
    an expiry that is not in the future."""
    name, allowed = _checked(name, scope, trusts)
    now = datetime.now(UTC)
    if expires_at is not None and as_utc(expires_at) <= now:
        raise InputError(f"--expires: {as_utc(expires_at):%Y-%m-%d %H:%M} UTC has passed; give a "
                         "date in the future")
    new: NewKey = generate_key()
    row = {
        "key_id": uuid.uuid4().hex,
        "name": name,
        "prefix": new.prefix,
        "key_hash": new.key_hash,
        "scope": scope,
        "trusts": None if allowed is None else json.dumps(sorted(allowed)),
        "created_at": now,
        "revoked_at": None,
        "last_used_at": None,
        "expires_at": None if expires_at is None else as_utc(expires_at),
    }
    with store.transaction() as conn:
        conn.execute(sa.insert(t.api_keys).values(**row))
    return CreatedKey(new.token, _record(row))


def find_key(store: Store, prefix: str) -> KeyRecord | None:
    with store.transaction(write=False) as conn:
        row = conn.execute(sa.select(t.api_keys).where(t.api_keys.c.prefix == prefix)).first()
    return None if row is None else _record(row._mapping)


def list_keys(store: Store) -> list[KeyRecord]:
    with store.transaction(write=False) as conn:
        rows = conn.execute(sa.select(t.api_keys).order_by(t.api_keys.c.created_at))
        return [_record(row._mapping) for row in rows]


def revoke_key(store: Store, prefix: str) -> KeyRecord:
    """Revoke by prefix (or key id); revoking twice keeps the first time. NotFoundError if none."""
    table = t.api_keys
    match = sa.or_(table.c.prefix == prefix, table.c.key_id == prefix)
    with store.transaction() as conn:
        row = conn.execute(sa.select(table).where(match)).first()
        if row is None:
            raise NotFoundError(f"no API key with prefix or id '{prefix}'")
        if row.revoked_at is None:
            now = datetime.now(UTC)
            stmt = sa.update(table).where(table.c.key_id == row.key_id).values(revoked_at=now)
            conn.execute(stmt)
            return _record({**row._mapping, "revoked_at": now})
    return _record(row._mapping)


def touch_keys(store: Store, key_ids: Iterable[str], at: datetime) -> None:
    """Note when keys were last used (called rarely: the API batches these)."""
    ids = sorted(set(key_ids))
    if not ids:
        return
    table = t.api_keys
    with store.transaction() as conn:
        conn.execute(sa.update(table).where(table.c.key_id.in_(ids)).values(last_used_at=at))


def _checked(
    name: str, scope: str, trusts: Sequence[str] | None
) -> tuple[str, frozenset[str] | None]:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InputError(f"a key needs a name of 1 to {MAX_NAME} characters")
    if scope not in SCOPES:
        raise InputError(f"unknown scope '{scope}': use one of {', '.join(SCOPES)}")
    if not trusts:
        return name, None
    bad = [code for code in trusts if not re.fullmatch(TRUST_CODE_PATTERN, code)]
    if bad:
        raise InputError(
            f"not a trust code: {', '.join(map(repr, bad))} (3 to 5 upper-case letters/digits)"
        )
    return name, frozenset(trusts)


def _record(row: object) -> KeyRecord:
    data = dict(row)  # type: ignore[call-overload]
    trusts = data["trusts"]
    return KeyRecord(
        key_id=data["key_id"],
        name=data["name"],
        prefix=data["prefix"],
        key_hash=data["key_hash"],
        scope=data["scope"],
        trusts=None if trusts is None else frozenset(json.loads(trusts)),
        created_at=as_utc(data["created_at"]),
        revoked_at=_maybe_utc(data["revoked_at"]),
        last_used_at=_maybe_utc(data["last_used_at"]),
        expires_at=_maybe_utc(data.get("expires_at")),
    )


def _maybe_utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
