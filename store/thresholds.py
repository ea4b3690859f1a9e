"""Capacity thresholds: the attendances a day at which a trust's department is under strain.

A trust has any number of named thresholds ("amber" = 320, "red" = 360). They are set two ways,
with the same rules and the same all-or-nothing writes:

- the API: `PUT /v1/trusts/{code}/thresholds` (admin key) replaces one trust's set;
- a TOML file, `aeforecast thresholds load [FILE]` (FILE defaults to `AEF_THRESHOLDS_FILE`),
  replaces the set of every trust the file lists and leaves the others alone:

      [RXX]          # trust code
      amber = 320    # name = attendances a day
      red = 360

Whichever wrote last wins; `source` says which it was.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from contract.errors import InputError
from contract.inputs import TRUST_CODE_PATTERN
from store import Store
from store import _tables as t

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$"
MAX_PER_TRUST = 10
MAX_ATTENDANCES = 100_000
Source = Literal["api", "file"]
_NAME = re.compile(NAME_PATTERN)
_TRUST = re.compile(TRUST_CODE_PATTERN)


@dataclass(frozen=True)
class Threshold:
    name: str
    attendances: int


@dataclass(frozen=True)
class StoredThreshold(Threshold):
    source: str
    updated_at: datetime


def check_thresholds(thresholds: Sequence[Threshold], where: str) -> None:
    """Names well-formed and distinct, counts whole and plausible; InputError naming `where`."""
    if len(thresholds) > MAX_PER_TRUST:
        raise InputError(f"{where}: at most {MAX_PER_TRUST} thresholds per trust, "
                         f"got {len(thresholds)}")
    seen: set[str] = set()
    for item in thresholds:
        if not _NAME.fullmatch(item.name):
            raise InputError(f"{where}: threshold name {item.name!r} must be 1 to 40 letters, "
                             "digits, spaces, '-' or '_', starting with a letter or digit")
        if item.name in seen:
            raise InputError(f"{where}: threshold name {item.name!r} appears twice")
        seen.add(item.name)
        if isinstance(item.attendances, bool) or not isinstance(item.attendances, int) or not (
                0 <= item.attendances <= MAX_ATTENDANCES):
            raise InputError(f"{where}: threshold {item.name!r} must be a whole number of "
                             f"attendances from 0 to {MAX_ATTENDANCES} "
                             f"(got {item.attendances!r})")


def read_thresholds(store: Store, trust_code: str) -> list[StoredThreshold]:
    """One trust's thresholds, lowest first."""
    tt = t.trust_thresholds
    stmt = (sa.select(tt.c.name, tt.c.attendances, tt.c.source, tt.c.updated_at)
            .where(tt.c.trust_code == trust_code).order_by(tt.c.attendances, tt.c.name))
    with store.transaction(write=False) as conn:
        rows = conn.execute(stmt).all()
    return [StoredThreshold(r.name, int(r.attendances), r.source, _utc(r.updated_at))
            for r in rows]


def replace_thresholds(
    store: Store, sets: Mapping[str, Sequence[Threshold]], source: Source
) -> None:
    """Each listed trust's thresholds become exactly the given ones, in one transaction."""
    for code, thresholds in sets.items():
        check_thresholds(thresholds, f"trust {code}")
    tt = t.trust_thresholds
    now = datetime.now(UTC)
    with store.transaction() as conn:
        for code, thresholds in sets.items():
            conn.execute(sa.delete(tt).where(tt.c.trust_code == code))
            if thresholds:
                conn.execute(sa.insert(tt), [
                    {"trust_code": code, "name": th.name, "attendances": th.attendances,
                     "source": source, "updated_at": now} for th in thresholds])


def read_file(path: Path) -> dict[str, list[Threshold]]:
    """A thresholds TOML file, checked whole; InputError naming the file, table and key."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read the thresholds file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    sets: dict[str, list[Threshold]] = {}
    for code, table in document.items():
        if not _TRUST.fullmatch(code):
            raise InputError(f"{path}: [{code}] is not a trust code (3 to 5 upper-case letters "
                             "or digits, e.g. [RXX])")
        if not isinstance(table, dict):
            raise InputError(f"{path}: {code} must be a table: [{code}] then lines name = "
                             "attendances")
        sets[code] = [Threshold(str(name), _count(path, code, name, value))
                      for name, value in table.items()]
        check_thresholds(sets[code], f"{path}: [{code}]")
    return sets


def store_file(store: Store, path: Path, sets: Mapping[str, Sequence[Threshold]]) -> None:
    """`read_file`'s sets: check every trust exists, then replace their thresholds (all or
    nothing)."""
    known = set(store.trust_codes())
    unknown = sorted(set(sets) - known)
    if unknown:
        raise InputError(f"{path}: unknown trust(s) {', '.join(unknown)}: ingest their "
                         "attendances first, or remove them from the file")
    replace_thresholds(store, sets, "file")


def _count(path: Path, code: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{path}: [{code}] {name}: must be a whole number of attendances a "
                         f"day, e.g. {name} = 320 (got {value!r})")
    return value


def _utc(stamp: datetime) -> datetime:
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
