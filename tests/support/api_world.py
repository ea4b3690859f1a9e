"""A store served in process: three trusts with 60 days of history and a stored run.

A forecast run is written with the batch's own run store (no model fitted), so the API tests
need only the store; the end-to-end tests under `e2e/` run the real commands instead.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import polars as pl

with warnings.catch_warnings():  # Starlette prefers httpx2 to the httpx we install; same client
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from api.app import create_app
from contract.inputs import validate_attendances
from contract.settings import Settings
from store import Store
from store.run_log import RunLog, RunRows

TRUSTS = ["R1H", "RXX", "RZZ"]
TODAY = date.today()
TOMORROW = TODAY + timedelta(days=1)
HORIZON = 42



def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def store_run(store: Store, trusts: list[str], as_of: date = TODAY, level: float = 300.0) -> str:
    """A complete run as the batch stores one: HORIZON days per trust, ordered intervals."""
    run_id = RunLog(store).begin(as_of=as_of, horizon=HORIZON, model="ets", fingerprint=str(level))
    rows = [
        {
            "trust_code": code,
            "date": as_of + timedelta(days=h),
            "horizon": h,
            "point": level + i + h,
            "lo80": level + i + h - 20,
            "hi80": level + i + h + 20,
            "lo95": level + i + h - 35,
            "hi95": level + i + h + 35,
        }
        for i, code in enumerate(trusts)
        for h in range(1, HORIZON + 1)
    ]
    served = pl.DataFrame(
        [
            {
                "trust_code": c,
                "model": "ets",
                "model_version": "ets-v1",
                "status": "ok",
                "reason": None,
            }
            for c in trusts
        ]
    )
    RunLog(store).complete(run_id, RunRows(pl.DataFrame(rows), served), {"test": True})
    return run_id


def ingest_history(store: Store, trusts: list[str], days: int = 60) -> None:
    rows = [
        {"trust_code": c, "date": TODAY - timedelta(days=d), "attendances": 280 + d % 7}
        for c in trusts
        for d in range(1, days + 1)
    ]
    store.ingest(validate_attendances(pl.DataFrame(rows)))


def make_client(database_url: str, max_body_bytes: int = 1_048_576) -> TestClient:
    settings = Settings(database_url=database_url)
    app = create_app(settings, refresh_seconds=0, key_ttl_seconds=0, max_body_bytes=max_body_bytes)
    return TestClient(app, raise_server_exceptions=False)
