"""Key format, hashing, the constant-time check and scope order (no database)."""

from __future__ import annotations

import hashlib

import pytest

from contract.keys import (
    KEY_MARK,
    PREFIX_LENGTH,
    SECRET_LENGTH,
    generate_key,
    hash_secret,
    parse_key,
    scope_allows,
    secret_matches,
)


def test_a_generated_key_parses_back_to_its_prefix_and_secret() -> None:
    new = generate_key()
    assert new.token.startswith(KEY_MARK)
    assert len(new.token) == len(KEY_MARK) + PREFIX_LENGTH + 1 + SECRET_LENGTH
    parsed = parse_key(new.token)
    assert parsed is not None and parsed.prefix == new.prefix
    assert secret_matches(parsed.secret, new.key_hash)


def test_only_the_sha256_of_the_secret_is_kept() -> None:
    new = generate_key()
    parsed = parse_key(new.token)
    assert parsed is not None
    assert new.key_hash == hashlib.sha256(parsed.secret.encode()).hexdigest()
    assert parsed.secret not in new.key_hash


def test_keys_are_unique_and_high_entropy() -> None:
    keys = {generate_key().token for _ in range(200)}
    assert len(keys) == 200
    assert len({k[4:12] for k in keys}) == 200  # prefixes too: 36^8 of them


def test_a_wrong_secret_does_not_match() -> None:
    new = generate_key()
    other = generate_key()
    parsed = parse_key(other.token)
    assert parsed is not None and not secret_matches(parsed.secret, new.key_hash)
    assert hash_secret("x") != hash_secret("y")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "aef_",
        "Bearer aef_abcdefgh_" + "a" * 43,
        "aef_ABCDEFGH_" + "a" * 43,  # prefixes are lower case
        "aef_abcdefgh-" + "a" * 43,
        "aef_abcdefgh_" + "a" * 42,
        "aef_abcdefgh_" + "a" * 42 + "!",
        "xyz_abcdefgh_" + "a" * 43,
    ],
)
def test_malformed_keys_are_refused_without_raising(token: str) -> None:
    assert parse_key(token) is None


def test_scopes_are_ordered_read_write_admin() -> None:
    assert scope_allows("read", "read") and not scope_allows("read", "write")
    assert scope_allows("write", "read") and scope_allows("write", "write")
    assert not scope_allows("write", "admin")
    assert all(scope_allows("admin", s) for s in ("read", "write", "admin"))
    assert not scope_allows("root", "read")
