"""The forecast read with extras: `threshold=N` (p_exceed per day) and `include=drivers`.

Kept apart from the plain read, whose pre-encoded bytes serve a thousand requests a second;
these responses are built per request (a few hundred microseconds, plus one read of the run's
drivers per process and run).
"""

from __future__ import annotations

import json
from typing import Any

import anyio.to_thread
from fastapi import Request, Response

from api.insights import DriverCache, ServedDay, driver_items, served_days
from api.responses import CSV_TYPE, FRESHNESS_COLUMNS, freshness
from api.serving import Snapshot, TrustForecast
from store.served import DAY_FIELDS


def forecast_head(snapshot: Snapshot, served: TrustForecast) -> dict[str, Any]:
    assert snapshot.run is not None
    return {
        "trust_code": served.trust_code,
        "run_id": snapshot.run.run_id,
        "model": served.model,
        "model_version": served.model_version,
        "generated_at": snapshot.generated_at,
        "as_of": snapshot.run.as_of.isoformat(),
        "target": snapshot.run.target,
        **freshness(snapshot, served.trust_code).fields(),
    }


async def enriched_response(
    request: Request, snapshot: Snapshot, served: TrustForecast, offset: int, days: int,
    csv: bool, threshold: int | None, include: str | None, headers: dict[str, str],
) -> Response:
    drivers = None
    if include == "drivers":
        assert snapshot.run is not None
        cache: DriverCache = request.app.state.drivers
        run_id, code = snapshot.run.run_id, served.trust_code
        drivers = await anyio.to_thread.run_sync(lambda: cache.for_trust(run_id, code))
    rows = served_days(served, offset, days, threshold, drivers)
    if csv:
        suffix = freshness(snapshot, served.trust_code).csv_suffix()
        return Response(_csv(served.trust_code, rows, threshold, include, suffix),
                        media_type=CSV_TYPE, headers=headers)
    body = {**forecast_head(snapshot, served), "threshold": threshold,
            "days": [_day_json(row) for row in rows]}
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json",
                    headers=headers)


def _day_json(row: ServedDay) -> dict[str, Any]:
    item: dict[str, Any] = {"date": row.day.isoformat(), **row.values}
    if row.p_exceed is not None:
        item["p_exceed"] = round(row.p_exceed, 4)
    if row.drivers is not None:
        item["drivers"] = driver_items(row.drivers, row.day)
    return item


def _csv(code: str, rows: list[ServedDay], threshold: int | None, include: str | None,
         suffix: str) -> str:
    from features.families import FAMILIES

    header = ["trust_code", "date", *DAY_FIELDS]
    if threshold is not None:
        header.append("p_exceed")
    if include == "drivers":
        header += [f"driver_{f}" for f in FAMILIES]
    header += FRESHNESS_COLUMNS
    lines = [",".join(header)]
    for row in rows:
        cells = [code, row.day.isoformat(), *(repr(row.values[f]) for f in DAY_FIELDS)]
        if threshold is not None:
            cells.append(f"{row.p_exceed:.4f}")
        if row.drivers is not None:
            cells += ["" if f not in row.drivers else repr(row.drivers[f]) for f in FAMILIES]
        lines.append(",".join(cells) + suffix)
    return "\n".join([*lines, ""])
