"""API keys: generation, hashing and the constant-time check; no database here.

A key reads `aef_<prefix>_<secret>`: the 8-character prefix finds the stored row (it is not
secret and shows in listings and logs), the 43-character secret from `secrets.token_urlsafe(32)`
carries 256 bits of entropy. Only the SHA-256 hex digest of the secret is stored: with that much
entropy a slow password hash buys nothing, and the check stays microseconds per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

Scope: TypeAlias = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
_RANK: dict[str, int] = {scope: rank for rank, scope in enumerate(SCOPES)}

KEY_MARK = "aef_"
PREFIX_LENGTH = 8
SECRET_LENGTH = 43  # len(secrets.token_urlsafe(32))
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = frozenset(string.ascii_letters + string.digits + "-_")


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: `token` is shown once, only `key_hash` is kept."""

    token: str
    prefix: str
    key_hash: str


@dataclass(frozen=True)
class ParsedKey:
    prefix: str
    secret: str


def generate_key() -> NewKey:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = secrets.token_urlsafe(32)
    return NewKey(f"{KEY_MARK}{prefix}_{secret}", prefix, hash_secret(secret))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(token: str) -> ParsedKey | None:
    """The prefix and secret of a well-formed key; None for anything else (never raises)."""
    expected = len(KEY_MARK) + PREFIX_LENGTH + 1 + SECRET_LENGTH
    if len(token) != expected or not token.startswith(KEY_MARK):
        return None
    prefix = token[len(KEY_MARK) : len(KEY_MARK) + PREFIX_LENGTH]
    separator, secret = token[len(KEY_MARK) + PREFIX_LENGTH], token[-SECRET_LENGTH:]
    if separator != "_" or any(c not in _PREFIX_ALPHABET for c in prefix):
        return None
    if any(c not in _SECRET_ALPHABET for c in secret):
        return None
    return ParsedKey(prefix, secret)


def secret_matches(secret: str, key_hash: str) -> bool:
    """Constant-time comparison of the secret's digest with the stored one."""
    return hmac.compare_digest(hash_secret(secret).encode(), key_hash.encode())


def scope_allows(granted: str, needed: Scope) -> bool:
    """read < write < admin; an unknown stored scope allows nothing."""
    return granted in _RANK and _RANK[granted] >= _RANK[needed]
