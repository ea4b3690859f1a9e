"""The trusts a key may see, each with the run that serves it."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReadAccess, may_see
from api.schemas import TrustList, TrustSummary, error_responses

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])


@router.get("", response_model=TrustList, responses=error_responses(401, 403, 503))
async def list_trusts(access: ReadAccess) -> TrustList:
    """Every trust this key may see, with its latest run's id and time (null before any run)."""
    key, snapshot = access.key, access.snapshot
    run = snapshot.run
    items = []
    for code in sorted(c for c in snapshot.trusts if may_see(key, c, snapshot)):
        served = snapshot.forecasts.get(code)
        if run is None or served is None:
            items.append(TrustSummary(
                trust_code=code, run_id=None, generated_at=None, as_of=None, model=None,
                model_version=None, first_date=None, last_date=None,
            ))
            continue
        items.append(TrustSummary(
            trust_code=code, run_id=run.run_id, generated_at=run.completed_at, as_of=run.as_of,
            model=served.model, model_version=served.model_version, first_date=served.first,
            last_date=served.last,
        ))
    return TrustList(trusts=items)
