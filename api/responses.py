"""What every forecast response shares, whoever it is for (trust or hierarchy node): the query
parameters, CSV negotiation and ETags for cheap polling."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import Query

from api.schemas import DEFAULT_DAYS, MAX_DAYS
from api.serving import Snapshot, TrustForecast
from contract.errors import InputError
from store.served import DAY_FIELDS

CSV_TYPE = "text/csv; charset=utf-8"
FRESHNESS_COLUMNS = ("data_to", "stale")  # on every CSV row: a spreadsheet loses the headers
CSV_HEADER = ",".join(["trust_code", "date", *DAY_FIELDS, *FRESHNESS_COLUMNS])
UNAVAILABLE_HEADER = "X-Database-Unavailable-Since"
CACHE_CONTROL = "private, no-cache"  # keep it, but ask again with If-None-Match (a 304 is cheap)

Start = Annotated[
    date | None,
    Query(
        description="First day to return, YYYY-MM-DD; default tomorrow. Today is served when "
                    "the run covers it (a run on data through yesterday does).",
        examples=["2024-12-03"]
    ),
]
Days = Annotated[
    int | None,
    Query(ge=1, le=MAX_DAYS, examples=[14],
          description=f"How many days from `start`; default {DEFAULT_DAYS}, or as many as the "
                      "served run holds from `start` when it holds fewer."),
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


@dataclass(frozen=True)
class Freshness:
    """How fresh the data behind one served forecast is, judged against today's clock."""

    data_to: date | None
    stale: bool

    def fields(self) -> dict[str, object]:
        return {"data_to": None if self.data_to is None else self.data_to.isoformat(),
                "stale": self.stale}

    def headers(self) -> dict[str, str]:
        return {"X-Data-To": "" if self.data_to is None else self.data_to.isoformat(),
                "X-Data-Stale": "true" if self.stale else "false"}

    def csv_suffix(self) -> str:
        data_to = "" if self.data_to is None else self.data_to.isoformat()
        return f",{data_to},{str(self.stale).lower()}"


def freshness(snapshot: Snapshot, code: str) -> Freshness:
    return Freshness(snapshot.data_to(code), snapshot.is_stale(code))


def window(snapshot: Snapshot, served: TrustForecast, code: str, start: date | None,
           days: int | None) -> tuple[date, int, int]:
    """The first day asked for (default tomorrow), its offset in the served days and how many
    to return. Days left out default to 14 cut to where the run ends (a nightly run on data
    through yesterday starts today, so it holds one day fewer from tomorrow); a range asked for
    outside the run is a 422 that says what the run holds and, when stale, how old its data is."""
    first = start or date.today() + timedelta(days=1)
    offset = (first - served.first).days
    held = len(served.days_json) - offset
    count = days if days is not None else min(DEFAULT_DAYS, held)
    if offset < 0 or held < 1 or count > held:
        note = ""
        if snapshot.is_stale(code):
            note = (f" (its data ends {snapshot.data_to(code)}: stale; run the batch on newer "
                    "data)")
        raise InputError(f"start/days: the served run forecasts {code} from {served.first} to "
                         f"{served.last}{note}; ask for days within that range")
    return first, offset, count
