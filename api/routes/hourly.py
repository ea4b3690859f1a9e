"""A trust's forecast for one day, hour by hour (UK local hours), with intervals."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import ServedTrustDep
from api.hourly_profiles import ProfileCache
from api.schemas import error_responses
from api.serving import TrustForecast
from contract.errors import InputError
from forecast.hourly_profile import LOCAL_ZONE, HourlyProfile, day_shares
from forecast.hourly_spread import DayForecast, spread_day

router = APIRouter(prefix="/v1/trusts", tags=["forecast"])
METHOD = (
    "point = day point x the hour's share of the trust's weekday-by-hour profile (local time); "
    "intervals = quantiles of the mixture, over the day's predictive distribution, of "
    "beta-binomial hourly counts"
)

Day = Annotated[
    date | None,
    Query(alias="date", description="The day, YYYY-MM-DD (UK local); default tomorrow.",
          examples=["2024-12-03"]),
]


class DayTotals(BaseModel):
    point: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class Profile(BaseModel):
    source: str = Field(description="`trust`: from its hourly arrivals; `default`: none ingested.")
    complete_days: int = Field(description="Complete local days of hourly data behind it.")
    weight: float = Field(description="Weight of the trust's own shares (the rest: default).")
    data_from: date | None
    data_to: date | None


class Hour(BaseModel):
    hour_start_utc: datetime
    local_start: datetime = Field(description="The same instant on the UK clock, with offset.")
    local_hour: int = Field(ge=0, le=23)
    share: float = Field(description="This hour's share of the day's arrivals.")
    point: float
    lo80: int
    hi80: int
    lo95: int
    hi95: int


class HourlyForecast(BaseModel):
    trust_code: str
    run_id: str
    model: str
    generated_at: str | None
    date: date
    timezone: str = LOCAL_ZONE
    day: DayTotals
    profile: Profile
    method: str = METHOD
    hours: list[Hour] = Field(description="24 hours; 23 or 25 on the clock-change days.")


@router.get(
    "/{trust_code}/forecast/hourly",
    response_model=HourlyForecast,
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_hourly_forecast(
    request: Request, access: ServedTrustDep, day: Day = None
) -> HourlyForecast:
    """One day's forecast spread over its hours, with 80% and 95% intervals per hour."""
    snapshot, served, run = access.snapshot, access.forecast, access.run
    wanted = day or date.today() + timedelta(days=1)
    totals = day_forecast(served, wanted)
    profile = await profiles(request).get(access.trust_code)
    return HourlyForecast(
        trust_code=access.trust_code,
        run_id=run.run_id,
        model=served.model,
        generated_at=snapshot.generated_at,
        date=wanted,
        day=DayTotals(**totals.__dict__),
        profile=_profile(profile),
        hours=hourly_rows(totals, profile, wanted),
    )


def profiles(request: Request) -> ProfileCache:
    """The process's profile cache, made on first use."""
    state = request.app.state
    if getattr(state, "hourly_profiles", None) is None:
        state.hourly_profiles = ProfileCache(state.store)
    cache: ProfileCache = state.hourly_profiles
    return cache


def day_forecast(served: TrustForecast, day: date) -> DayForecast:
    """The served run's numbers for `day`; InputError outside the run's days."""
    offset = (day - served.first).days
    if offset < 0 or offset >= len(served.days_json):
        raise InputError(
            f"date: the served run forecasts {served.trust_code} from {served.first} to "
            f"{served.last}; ask for a day within that range"
        )
    values = json.loads(served.days_json[offset])
    return DayForecast(*(float(values[k]) for k in ("point", "lo80", "hi80", "lo95", "hi95")))


def hourly_rows(totals: DayForecast, profile: HourlyProfile, day: date) -> list[Hour]:
    hours, shares = day_shares(profile, day)
    spread = spread_day(totals, shares)
    return [
        Hour(
            hour_start_utc=h.start_utc,
            local_start=h.start_local,
            local_hour=h.local_hour,
            share=round(float(shares[i]), 5),
            point=round(float(spread.point[i]), 2),
            lo80=int(spread.lo80[i]),
            hi80=int(spread.hi80[i]),
            lo95=int(spread.lo95[i]),
            hi95=int(spread.hi95[i]),
        )
        for i, h in enumerate(hours)
    ]


def _profile(profile: HourlyProfile) -> Profile:
    return Profile(
        source=profile.source,
        complete_days=profile.days,
        weight=round(profile.weight, 3),
        data_from=profile.data_from,
        data_to=profile.data_to,
    )
