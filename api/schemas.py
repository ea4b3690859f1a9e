"""Request and response bodies, with their limits and examples (they become the OpenAPI text)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat, StrictInt

MAX_DAYS = 90
DEFAULT_DAYS = 14
MAX_RECORDS = 3_660  # ten years of days in one request

_RUN_ID = "20241202T023001Z-3f9a1c2b"


def _iso_text(value: Any) -> Any:
    """A date in a body is text, YYYY-MM-DD: a number is not silently read as a timestamp."""
    if not isinstance(value, str):
        raise ValueError("a date is written as text, YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_text)]


class ErrorDetail(BaseModel):
    field: str | None = Field(default=None, description="The field, e.g. `days` or `body[3].date`.")
    index: int | None = Field(default=None, description="Position in the posted list, from 0.")
    value: str | None = None
    message: str


class Error(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["no trust 'RZZ'"])
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    """Every error: `{"error": {"code", "message"}}`, plus `details` for invalid input."""

    error: Error


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Ready(BaseModel):
    status: str = Field(examples=["ready"])
    run_id: str = Field(examples=[_RUN_ID])
    as_of: date
    run_age_seconds: float
    data_to: date | None = Field(default=None, description="The newest last actual in the run.")
    writable: bool = Field(default=True, description=(
        "Whether the database takes writes now; false (with `writes` saying why) while it is "
        "read-only: forecasts are still served, posting actuals answers 503."))
    writes: str | None = Field(default=None, examples=[None],
                               description="Why nothing can be written, when `writable` is false.")


class TrustSummary(BaseModel):
    trust_code: str = Field(examples=["RXX"])
    run_id: str | None = Field(description="The latest run that forecast this trust, if any.")
    generated_at: datetime | None = Field(description="When that run completed (UTC).")
    as_of: date | None = Field(description="The last day of data that run used.")
    model: str | None = Field(examples=["ets"])
    model_version: str | None = None
    first_date: date | None = Field(description="The first day forecast.")
    last_date: date | None = Field(description="The last day forecast.")
    status: str | None = Field(
        default=None, description="How the run served it: `ok`, `fallback`, or `stale` (left "
        "out: its data ended too long before the run's as-of).")
    reason: str | None = Field(default=None, description="Why it fell back or was left out.")
    data_to: date | None = Field(
        default=None, description="The last day of actual data the run used for this trust.")
    stale: bool = Field(
        default=False, description="True when `data_to` is more than AEF_STALE_AFTER_DAYS "
        "(default 3) before today: the feed stopped; do not plan on this as current.")


class TrustList(BaseModel):
    trusts: list[TrustSummary]


class ForecastDay(BaseModel):
    """One day: the central forecast and the 80% and 95% intervals, lo95 <= lo80 <= point <=
    hi80 <= hi95."""

    date: date
    point: float = Field(examples=[312.4])
    lo80: float = Field(examples=[281.0])
    hi80: float = Field(examples=[344.9])
    lo95: float = Field(examples=[265.2])
    hi95: float = Field(examples=[362.7])


class Forecast(BaseModel):
    model_config = ConfigDict(protected_namespaces=())

    trust_code: str = Field(examples=["RXX"])
    run_id: str = Field(examples=[_RUN_ID])
    model: str = Field(examples=["ets"], description="The model that forecast this trust.")
    model_version: str | None = Field(
        description="The stored model artefact's version; null for a model fitted in the run."
    )
    generated_at: datetime = Field(description="When the run completed (UTC).")
    as_of: date = Field(description="The last day of data the run used.")
    target: Literal["attendances", "admissions"] = Field(
        default="attendances",
        description="What the numbers count: type 1 attendances, or emergency admissions via A&E.")
    data_to: date | None = Field(
        default=None, description="The last day of actual data the run used for this trust.")
    stale: bool = Field(
        default=False, description="True when `data_to` is more than AEF_STALE_AFTER_DAYS "
        "(default 3) before today: the feed stopped; do not plan on this as current.")
    days: list[ForecastDay]


class AttendanceIn(BaseModel):
    """One day of type 1 A&E attendances (and, optionally, emergency admissions via A&E)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"date": "2024-12-01", "attendances": 301, "admissions": 74}]
        },
    )

    date: IsoDate
    attendances: StrictInt = Field(ge=0)
    admissions: StrictInt | None = Field(default=None, ge=0)


class TemperatureIn(BaseModel):
    """Daily mean air temperature at the trust, observed or forecast."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"date": "2024-12-03", "temperature_c": 4.5}]}
    )

    date: IsoDate
    temperature_c: StrictFloat = Field(ge=-60, le=60, allow_inf_nan=False)


class WriteResult(BaseModel):
    trust_code: str = Field(examples=["RXX"])
    received: int = Field(description="Days in the request.")
    inserted: int
    updated: int
    unchanged: int = Field(description="Days already stored with the same values.")


def payload(records: list[AttendanceIn] | list[TemperatureIn]) -> list[dict[str, Any]]:
    """Parsed items back as JSON values, for the contract's own checks."""
    return [r.model_dump(mode="json", exclude_unset=True) for r in records]


_ERROR_TEXT: dict[int, tuple[str, str, str]] = {
    401: ("No API key, or an invalid or revoked one.", "unauthenticated",
          "invalid or revoked API key"),
    403: ("The key's scope is too low for this endpoint.", "forbidden",
          "this key has scope 'read'; this needs 'write'"),
    404: ("Unknown trust, or one this key may not see (the same answer).", "not_found",
          "no trust 'RZZ'"),
    413: ("The request body is over the size limit.", "payload_too_large",
          "request body over 1048576 bytes; send fewer days per request"),
    415: ("The body is not declared JSON.", "unsupported_media_type",
          "Content-Type text/plain: send Content-Type: application/json"),
    422: ("Invalid input; `details` names each field.", "invalid_input",
          "days: Input should be less than or equal to 90"),
    429: ("Too many requests for this key (or, with failing keys, this address); wait "
          "`Retry-After` seconds.", "rate_limited",
          "too many requests from key abcdefgh: at most 300 at once and 600 a minute; "
          "retry after 1 s"),
    503: ("The database cannot be reached (or, for /readyz, no forecast run exists yet, or "
          "every trust's data is stale).",
          "store_unavailable", "the database is unavailable; try again shortly"),
}


RETRY_AFTER_HEADER = {
    "description": "Whole seconds until the next request is allowed.",
    "schema": {"type": "integer", "minimum": 1},
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the given error statuses, each with the error schema and an example."""
    return {status: _error_response(status) for status in statuses}


def _error_response(status: int) -> dict[str, Any]:
    description, code, message = _ERROR_TEXT[status]
    entry: dict[str, Any] = {
        "model": ErrorResponse,
        "description": description,
        "content": {"application/json": {"example": {"error": {"code": code, "message": message}}}},
    }
    if status == 429:
        entry["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
    return entry
