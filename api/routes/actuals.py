"""Posting what happened: attendances (actuals) and temperature, one trust at a time.

Both are checked by the same contract rules as files (`contract.inputs`), stored in one
transaction, and idempotent: posting the same days again changes nothing. After attendances
arrive, live accuracy is brought up to date.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body

from api.deps import StoreDep, WritableTrust
from api.schemas import (
    MAX_RECORDS,
    AttendanceIn,
    TemperatureIn,
    WriteResult,
    error_responses,
    payload,
)
from contract.inputs import validate_attendance_records, validate_temperature_records
from store import Store, UpsertResult
from store.data_extent import busiest_days

router = APIRouter(prefix="/v1/trusts", tags=["actuals"])
log = logging.getLogger("aeforecast.api")
ERRORS = error_responses(401, 403, 404, 413, 422, 503)

Attendances = Annotated[list[AttendanceIn], Body(min_length=1, max_length=MAX_RECORDS)]
Temperatures = Annotated[list[TemperatureIn], Body(min_length=1, max_length=MAX_RECORDS)]


@router.post("/{trust_code}/attendances", response_model=WriteResult, responses=ERRORS)
def post_attendances(
    access: WritableTrust, store: StoreDep, records: Attendances
) -> WriteResult:
    """Store actual attendances (no future dates); idempotent; updates live accuracy."""
    trust_code = access.trust_code
    busiest = busiest_days(store, [trust_code]).get(trust_code)
    frame = validate_attendance_records(trust_code, payload(records), busiest=busiest)
    result = store.upsert_attendances(frame, source=f"api key {access.key.prefix}")
    _update_live_accuracy(store, trust_code)
    return _result(trust_code, len(records), result)


@router.post("/{trust_code}/temperature", response_model=WriteResult, responses=ERRORS)
def post_temperature(
    access: WritableTrust, store: StoreDep, records: Temperatures
) -> WriteResult:
    """Store observed or forecast daily mean temperature (any date); idempotent."""
    trust_code = access.trust_code
    frame = validate_temperature_records(trust_code, payload(records))
    result = store.upsert_temperature(frame, source=f"api key {access.key.prefix}")
    return _result(trust_code, len(records), result)


def _update_live_accuracy(store: Store, trust_code: str) -> None:
    """The actuals are stored whatever happens here; a failure is logged, not returned."""
    from store.accuracy import update_live_accuracy

    try:
        update_live_accuracy(store, trusts=[trust_code])
    except Exception:
        log.exception("live accuracy update failed after storing attendances")


def _result(trust_code: str, received: int, result: UpsertResult) -> WriteResult:
    return WriteResult(
        trust_code=trust_code,
        received=received,
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
    )
