"""A trust's capacity thresholds: read with a read key, replace with an admin key."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AdminTrust, ReadableTrust, StoreDep
from api.insight_schemas import ThresholdOut, Thresholds, ThresholdsIn
from api.schemas import error_responses
from store import Store
from store.thresholds import Threshold, read_thresholds, replace_thresholds

router = APIRouter(prefix="/v1/trusts", tags=["thresholds"])


@router.get("/{trust_code}/thresholds", response_model=Thresholds,
            responses=error_responses(401, 403, 404, 422, 503))
def get_thresholds(access: ReadableTrust, store: StoreDep) -> Thresholds:
    """The trust's capacity thresholds (attendances a day), lowest first."""
    return _current(store, access.trust_code)


@router.put("/{trust_code}/thresholds", response_model=Thresholds,
            responses=error_responses(401, 403, 404, 413, 422, 503))
def put_thresholds(access: AdminTrust, store: StoreDep, body: ThresholdsIn) -> Thresholds:
    """Replace the trust's thresholds with these (admin); `[]` removes them. Idempotent."""
    wanted = [Threshold(item.name, item.attendances) for item in body.thresholds]
    replace_thresholds(store, {access.trust_code: wanted}, "api")
    return _current(store, access.trust_code)


def _current(store: Store, trust_code: str) -> Thresholds:
    return Thresholds(trust_code=trust_code, thresholds=[
        ThresholdOut(name=t.name, attendances=t.attendances, source=t.source,
                     updated_at=t.updated_at) for t in read_thresholds(store, trust_code)])
