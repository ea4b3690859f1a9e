"""Schemathesis against the running server's own OpenAPI document, with a valid admin key.

`aeforecast serve` runs as a real process over a store with a forecast run; Schemathesis reads
`/openapi.json` and, for every operation, sends the documented examples, its coverage cases
(boundaries, missing and wrong-typed values) and Hypothesis-generated requests, valid and
invalid. Every response must be no 5xx, a status the document declares for that operation, and
a body that conforms to the schema declared for that status.

    AEF_FUZZ_EXAMPLES   generated requests per operation and generation mode in the fuzzing
                        phase (default 25: about a minute on SQLite in CI); the full run is
                        AEF_FUZZ_EXAMPLES=150 (docs/reliability.md)
    AEF_FUZZ_REPORT     write the counts (requests, by operation and status) to this JSON file

Only SQLite: the fuzzer tests the HTTP surface; the store's two backends are covered by every
other API test, and one more server run would double the minute this costs.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from support.api_world import TRUSTS, ingest_history, store_run
from support.live_server import serve

from api.app import create_app
from contract.settings import Settings
from store import Store
from store.keys import create_key

pytestmark = pytest.mark.slow
EXAMPLES = int(os.environ.get("AEF_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SENT: Counter[tuple[str, int]] = Counter()  # (operation, status) -> requests
WAITED = [0.0]  # seconds spent waiting for responses (the rest is generating cases)


def _document() -> dict[str, Any]:
    """The document as the app builds it; the live server must serve exactly this one."""
    return create_app(Settings(database_url="sqlite://")).openapi()


class Target:
    url = ""
    headers: dict[str, str] = {}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A real server over a store with a run; its /openapi.json is the one fuzzed."""
    tmp = tmp_path_factory.mktemp("fuzz")
    database_url = f"sqlite:///{tmp / 'var' / 'aeforecast.db'}"
    with Store(database_url) as store:
        store.migrate()
        ingest_history(store, TRUSTS)
        store_run(store, TRUSTS)
        token = create_key(store, "fuzz", "admin").token
    limits = {"rate_limit_per_minute": "0"}  # the fuzzer is one key sending as fast as it can
    with serve(database_url, tmp, **limits) as url:
        served = httpx.get(f"{url}/openapi.json", timeout=10).json()
        assert served == json.loads(json.dumps(_document())), "the served document differs"
        Target.url, Target.headers = url, {"Authorization": f"Bearer {token}"}
        yield
    total, operations = _report()
    assert total >= 10 * operations, f"only {total} requests for {operations} operations"


schema = schemathesis.openapi.from_dict(_document())


@pytest.mark.usefixtures("live")
@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_documented_promises(case: Any) -> None:
    response = case.call(base_url=Target.url, headers=Target.headers, timeout=30)
    SENT[(case.operation.label, response.status_code)] += 1
    WAITED[0] += response.elapsed  # seconds
    case.validate_response(response, checks=CHECKS)


def _report() -> tuple[int, int]:
    """Counts to the terminal (`-s`) and to AEF_FUZZ_REPORT: (requests, operations)."""
    total = sum(SENT.values())
    server_errors = sum(n for (_, status), n in SENT.items() if status >= 500)
    by_operation: dict[str, dict[str, int]] = {}
    for (label, status), n in sorted(SENT.items()):
        by_operation.setdefault(label, {})[str(status)] = n
    report = {
        "date": datetime.now(UTC).date().isoformat(),
        "examples_per_operation": EXAMPLES,
        "requests": total,
        "server_errors": server_errors,
        "seconds_waiting_for_responses": round(WAITED[0], 1),
        "by_operation": by_operation,
    }
    print(f"\nfuzz: {total} requests, {server_errors} 5xx, {WAITED[0]:.1f} s in responses")
    print(json.dumps(by_operation, indent=1))
    if path := os.environ.get("AEF_FUZZ_REPORT"):
        Path(path).write_text(json.dumps(report, indent=2) + "\n")
    return total, len(by_operation)
