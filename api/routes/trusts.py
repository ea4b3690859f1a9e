"""The trusts a key may see, each with the run that serves it."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReadAccess, may_see
from api.responses import freshness
from api.schemas import TrustList, TrustSummary, error_responses

router = APIRouter(prefix="/v1/trusts", tags=["trusts"])


@router.get("", response_model=TrustList, responses=error_responses(401, 403, 503))
async def list_trusts(access: ReadAccess) -> TrustList:
    """Every trust this key may see, with its latest run's id and time (null before any run),
    how that run served it, and how fresh its data is (`data_to`, `stale`)."""
    key, snapshot = access.key, access.snapshot
    run = snapshot.run
    items = []
    for code in sorted(c for c in snapshot.trusts if may_see(key, c, snapshot)):
        served, row = snapshot.forecasts.get(code), snapshot.served.get(code)
        if run is None or (served is None and row is None):
            items.append(TrustSummary(
                trust_code=code, run_id=None, generated_at=None, as_of=None, model=None,
                model_version=None, first_date=None, last_date=None,
            ))
            continue
        fresh = freshness(snapshot, code)
        items.append(TrustSummary(
            trust_code=code, run_id=run.run_id, generated_at=run.completed_at, as_of=run.as_of,
            model=served.model if served else None,
            model_version=served.model_version if served else None,
            first_date=served.first if served else None,
            last_date=served.last if served else None,
            status=row.status if row else "ok", reason=row.reason if row else None,
            data_to=fresh.data_to, stale=fresh.stale,
        ))
    return TrustList(trusts=items)
