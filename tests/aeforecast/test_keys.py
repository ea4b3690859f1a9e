"""API keys in the store and `aeforecast keys` on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from support.commands import Cli

from contract.errors import InputError, NotFoundError
from contract.keys import parse_key, secret_matches
from store import Store
from store import _tables as tables
from store.keys import create_key, find_key, list_keys, revoke_key, touch_keys


def test_a_created_key_is_found_by_prefix_and_only_its_hash_is_stored(store: Store) -> None:
    created = create_key(store, "rota tool", "read", ["RXX", "R1H"])
    parsed = parse_key(created.token)
    assert parsed is not None
    found = find_key(store, parsed.prefix)
    assert found is not None and found == created.record
    assert found.trusts == frozenset({"RXX", "R1H"}) and found.scope == "read"
    assert secret_matches(parsed.secret, found.key_hash)
    with store.transaction(write=False) as conn:
        stored = " ".join(str(v) for row in conn.execute(sa.select(tables.api_keys)) for v in row)
    assert parsed.secret not in stored


def test_a_key_without_trusts_sees_every_trust(store: Store) -> None:
    record = create_key(store, "all", "admin").record
    assert record.trusts is None and record.may_see("ANY")


@pytest.mark.parametrize(
    ("name", "scope", "trusts", "match"),
    [
        ("", "read", None, "name"),
        ("x", "owner", None, "unknown scope 'owner'"),
        ("x", "read", ["rxx"], "not a trust code: 'rxx'"),
    ],
)
def test_bad_requests_for_keys_are_refused(
    store: Store, name: str, scope: str, trusts: list[str] | None, match: str
) -> None:
    with pytest.raises(InputError, match=match):
        create_key(store, name, scope, trusts)  # type: ignore[arg-type]
    assert list_keys(store) == []


def test_revoking_marks_the_key_once(store: Store) -> None:
    record = create_key(store, "old", "write").record
    revoked = revoke_key(store, record.prefix)
    assert not revoked.active
    again = revoke_key(store, record.key_id)
    assert again.revoked_at == revoked.revoked_at
    found = find_key(store, record.prefix)
    assert found is not None and not found.active
    with pytest.raises(NotFoundError, match="no API key"):
        revoke_key(store, "nosuchkey")


def test_touch_records_last_use(store: Store) -> None:
    record = create_key(store, "used", "read").record
    assert record.last_used_at is None
    touch_keys(store, [record.key_id], record.created_at)
    found = find_key(store, record.prefix)
    assert found is not None and found.last_used_at == record.created_at


def test_cli_creates_lists_and_revokes(cli: Cli) -> None:
    created = cli("keys", "create", "--name", "rota", "--scope", "read", "--trust", "RXX")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    parsed = parse_key(token)
    assert parsed is not None, created.stdout
    assert "not shown again" in created.stderr and "no data yet for trust(s) RXX" in created.stderr
    listed = cli("keys", "list")
    assert listed.returncode == 0 and parsed.prefix in listed.stdout and "active" in listed.stdout
    assert parsed.secret not in listed.stdout
    revoked = cli("keys", "revoke", parsed.prefix)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "revoked" in cli("keys", "list").stdout


def test_cli_refuses_a_bad_scope_and_a_bad_trust_with_exit_2(cli: Cli) -> None:
    bad_scope = cli("keys", "create", "--name", "x", "--scope", "owner")
    assert bad_scope.returncode == 2 and "invalid choice" in bad_scope.stderr
    bad_trust = cli("keys", "create", "--name", "x", "--scope", "read", "--trust", "r")
    assert bad_trust.returncode == 2 and "not a trust code" in bad_trust.stderr


def test_escape_codes_in_a_key_name_are_printed_escaped(cli: Cli) -> None:
    """A name that would clear the screen and retitle the window is shown as typed, harmless."""
    name = "rota\x1b[2J\x1b]0;pwned\x07\u202eevil"
    created = cli("keys", "create", "--name", name, "--scope", "read")
    assert created.returncode == 0, created.stderr
    for shown in (created.stderr, cli("keys", "list").stdout):
        assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
        assert "rota\\x1b[2J\\x1b]0;pwned\\x07\\u202eevil" in shown


def test_a_key_can_expire_and_is_then_refused_saying_so(store: Store, database_url: str) -> None:
    import time
    from datetime import UTC, datetime, timedelta

    from support.api_world import bearer, make_client

    with pytest.raises(InputError, match="has passed"):
        create_key(store, "old", "read", expires_at=datetime.now(UTC) - timedelta(days=1))
    soon = create_key(store, "soon", "read", expires_at=datetime.now(UTC) + timedelta(seconds=1))
    assert soon.record.status() == "active" and soon.record.expires_at is not None
    with make_client(database_url) as client:
        assert client.get("/v1/trusts", headers=bearer(soon.token)).status_code == 200
        time.sleep(1.2)
        refused = client.get("/v1/trusts", headers=bearer(soon.token))
        assert refused.status_code == 401 and "expired at" in refused.json()["error"]["message"]
    found = find_key(store, soon.record.prefix)
    assert found is not None and found.status() == "expired"


def test_cli_creates_an_expiring_key_and_lists_when(cli: Cli) -> None:
    made = cli("keys", "create", "--name", "temp", "--scope", "read", "--expires", "2099-03-31")
    assert made.returncode == 0 and "expires 2099-04-01 00:00 UTC" in made.stderr, made.stderr
    assert "2099-04-01 00:00" in cli("keys", "list").stdout
    for bad, message in (("2001-01-01", "has passed"), ("soon", "neither a date")):
        refused = cli("keys", "create", "--name", "x", "--scope", "read", "--expires", bad)
        assert refused.returncode == 2 and message in refused.stderr, refused.stderr
