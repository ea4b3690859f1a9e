"""What every forecast response shares, whoever it is for (trust or hierarchy node): the query
parameters, CSV negotiation and ETags for cheap polling."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Annotated, Literal

from fastapi import Query

from api.schemas import MAX_DAYS
from store.served import DAY_FIELDS

CSV_TYPE = "text/csv; charset=utf-8"
CSV_HEADER = ",".join(["trust_code", "date", *DAY_FIELDS])
UNAVAILABLE_HEADER = "X-Database-Unavailable-Since"
CACHE_CONTROL = "private, no-cache"  # keep it, but ask again with If-None-Match (a 304 is cheap)

Start = Annotated[
    date | None,
    Query(
        description="First day to return, YYYY-MM-DD; default tomorrow.", examples=["2024-12-03"]
    ),
]
Days = Annotated[
    int, Query(ge=1, le=MAX_DAYS, description="How many days from `start`.", examples=[14])
]
Threshold = Annotated[
    int | None,
    Query(ge=0, le=100_000, examples=[360],
          description="Adds `p_exceed` to each day: the probability that attendances exceed "
                      "this many, from the forecast's calibrated distribution."),
]
Include = Annotated[
    Literal["drivers"] | None,
    Query(description="`drivers` adds each day's drivers: the attendances that the recent "
                      "level, weekday, time of year, bank holidays, temperature, trend, "
                      "flu-season momentum and other factors contribute; they add up to "
                      "`point`."),
]
Format = Annotated[
    Literal["json", "csv"] | None,
    Query(
        alias="format",
        description="Overrides the Accept header: `csv` is the same as `Accept: text/csv`.",
    ),
]


def wants_csv(accept: str) -> bool:
    """CSV when the client prefers it: listed, and before any JSON type."""
    if "text/csv" not in accept:
        return False
    json_at = accept.find("application/json")
    return json_at < 0 or accept.find("text/csv") < json_at


def etag(run_id: str, trust_code: str, start: date, days: int, csv: bool, extra: str = ""
          ) -> str:
    query = f"{trust_code}|{start.isoformat()}|{days}|{'csv' if csv else 'json'}{extra}"
    return f'"{run_id}.{hashlib.blake2b(query.encode(), digest_size=6).hexdigest()}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in candidates or tag in candidates
