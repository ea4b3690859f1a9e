"""A SQLite file that was read-only when the API started (issue 25 item 3): reads are served,
writes answer 503 and `/readyz` says the store cannot be written; once the file is writable
again the same process writes, with no restart (its pooled read-only connections are dropped).

The file is made read-only with `chattr +i`, which holds even for root (CI runs as root, for
whom permission bits do not); the test skips where the filesystem has no such attribute.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from support.api_world import TRUSTS, bearer, ingest_history, make_client, store_run

from store import Store
from store.keys import create_key


def immutable(path: Path, on: bool) -> bool:
    if shutil.which("chattr") is None:
        return False
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def locked(store: Store, database_url: str) -> Iterator[tuple[Path, str, str]]:
    """The database file, made read-only, with a write key and a read key in it."""
    ingest_history(store, TRUSTS)
    store_run(store, TRUSTS)
    write, read = (create_key(store, n, s).token for n, s in (("w", "write"), ("r", "read")))
    store.close()
    path = Path(database_url.removeprefix("sqlite:///"))
    if not immutable(path, True):
        pytest.skip("chattr +i is not available on this filesystem")
    try:
        yield path, write, read
    finally:
        immutable(path, False)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_writes_recover_by_themselves_once_the_file_is_writable(
    database_url: str, locked: tuple[Path, str, str]
) -> None:
    locked_file, write, read = locked
    body = [{"date": "2024-01-01", "attendances": 300}]
    with make_client(database_url) as client:
        forecast = client.get("/v1/trusts/RXX/forecast", headers=bearer(read))
        assert forecast.status_code == 200
        refused = client.post("/v1/trusts/RXX/attendances", json=body, headers=bearer(write))
        assert refused.status_code == 503, refused.text
        assert "read-only" in refused.json()["error"]["message"]
        ready = client.get("/readyz").json()
        assert ready["status"] == "ready" and ready["writable"] is False
        assert "read-only" in ready["writes"]

        immutable(locked_file, False)  # the operator fixes the permission: no restart
        stored = client.post("/v1/trusts/RXX/attendances", json=body, headers=bearer(write))
        assert stored.status_code == 200, stored.text
        ready = client.get("/readyz").json()
        assert ready["writable"] is True and ready["writes"] is None


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_read_only_postgresql_says_so_and_still_serves(store: Store, database_url: str) -> None:
    """A standby, or a database set read-only by default: the same 503 and the same /readyz."""
    ingest_history(store, TRUSTS)
    store_run(store, TRUSTS)
    write, read = (create_key(store, n, s).token for n, s in (("w", "write"), ("r", "read")))
    url = make_url(database_url)
    options = f"{url.query['options']} -cdefault_transaction_read_only=on"
    read_only = url.update_query_dict({"options": options}).render_as_string(hide_password=False)
    with make_client(read_only) as client:
        assert client.get("/v1/trusts/RXX/forecast", headers=bearer(read)).status_code == 200
        refused = client.post("/v1/trusts/RXX/attendances", headers=bearer(write),
                              json=[{"date": "2024-01-01", "attendances": 300}])
        assert refused.status_code == 503, refused.text
        assert "read-only" in refused.json()["error"]["message"]
        ready = client.get("/readyz").json()
        assert ready["writable"] is False and "read-only" in ready["writes"]
