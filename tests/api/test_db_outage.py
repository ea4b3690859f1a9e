"""The database goes away under the real server, and comes back: a real interruption.

`aeforecast serve` runs as its own process and reaches the real PostgreSQL through a small TCP
proxy in this test; closing the proxy drops every connection and leaves a closed port, exactly
what a stopped PostgreSQL looks like; reopening it is the database coming back. What is promised:

- `/readyz` answers 503 with the reason while the database is away, 200 again once it is back,
  with no restart;
- a forecast read by a key seen in the last five minutes is served from the run in memory (a
  rota tool keeps its forecasts through a database restart), flagged with the header
  `X-Database-Unavailable-Since`; anything that needs the database (an unknown key, a write) is a
  clean 503 JSON error naming no host, port or SQL;
- a server started while the database is unreachable answers 503 and recovers by itself.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from support.api_world import TRUSTS, ingest_history, store_run
from support.commands import Cli
from support.live_server import free_port

from store import Store
from store.keys import create_key

pytestmark = [  # an unreachable server is a PostgreSQL matter (SQLite: test_api.py)
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]


class Proxy:
    """TCP from a local port to the database, which the test can cut and restore."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream, self.port = upstream, free_port()
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        """Stop listening and cut every connection: the port is closed, as if stopped."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            for sock in self._open:
                _shut(sock)
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _shut(client)
                continue
            for sock in (client, server):
                sock.settimeout(None)
            with self._lock:
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _shut(sink)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


@pytest.fixture
def proxy(database_url: str) -> Iterator[Proxy]:
    url = make_url(database_url)
    opened = Proxy((url.host or "127.0.0.1", url.port or 5432))
    yield opened
    opened.close()


def through(database_url: str, proxy: Proxy) -> str:
    """The same database, reached through the proxy, giving up on a connection after 3 s."""
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    url = url.update_query_dict({"connect_timeout": "3"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def serve(cli: Cli, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Start `aeforecast serve` on a given database URL; returns the base URL."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(database_url: str) -> str:
        port = free_port()
        env = {**cli.env, "AEF_DATABASE_URL": database_url}
        with (tmp_path / "serve.log").open("ab") as log:
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "aeforecast.cli", "serve", "--port", str(port)],
                cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
            ))
        url = f"http://127.0.0.1:{port}"
        until(lambda: _answers(url), 90, "the server never answered /healthz")
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def until(check: Callable[[], bool], seconds: float, message: str) -> float:
    """Poll `check` until true; the seconds it took."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, message
        time.sleep(0.2)
    return time.monotonic() - started


def status(url: str, path: str, key: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(url + path, headers=headers, timeout=30).status_code


def assert_clean_503(response: httpx.Response, proxy: Proxy) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "store_unavailable"
    for leak in (str(proxy.port), "postgres", "psycopg", "SELECT", "Traceback"):
        assert leak not in response.text


def test_reads_go_on_from_memory_writes_503_and_it_recovers_by_itself(
    store: Store, database_url: str, proxy: Proxy, serve: Callable[[str], str]
) -> None:
    ingest_history(store, TRUSTS)
    run_id = store_run(store, TRUSTS)
    seen, unseen = (create_key(store, name, "write").token for name in ("seen", "unseen"))
    proxy.open()
    url = serve(through(database_url, proxy))
    forecast = f"{url}/v1/trusts/RXX/forecast"
    until(lambda: status(url, "/readyz") == 200, 30, "never ready")
    first = httpx.get(forecast, headers={"Authorization": f"Bearer {seen}"}, timeout=30)
    assert first.status_code == 200 and "X-Database-Unavailable-Since" not in first.headers

    proxy.close()  # PostgreSQL "stops"
    until(lambda: status(url, "/readyz") == 503, 30, "/readyz stayed 200 without a database")
    ready = httpx.get(f"{url}/readyz", timeout=30)
    assert_clean_503(ready, proxy)
    assert "database" in ready.json()["error"]["message"]

    def flagged() -> httpx.Response:
        return httpx.get(forecast, headers={"Authorization": f"Bearer {seen}"}, timeout=30)

    until(lambda: "X-Database-Unavailable-Since" in flagged().headers, 30, "never flagged")
    served = flagged()
    assert served.status_code == 200 and served.json()["run_id"] == run_id
    assert served.json()["days"] == first.json()["days"]
    assert_clean_503(
        httpx.get(forecast, headers={"Authorization": f"Bearer {unseen}"}, timeout=30), proxy
    )
    write = httpx.post(f"{url}/v1/trusts/RXX/attendances", timeout=30,
                       headers={"Authorization": f"Bearer {seen}"},
                       json=[{"date": "2024-01-01", "attendances": 300}])
    assert_clean_503(write, proxy)

    proxy.open()  # it comes back: no restart
    took = until(lambda: status(url, "/readyz") == 200, 60, "did not recover by itself")
    print(f"ready again {took:.1f} s after the database returned")
    until(lambda: status(url, "/v1/trusts/RXX/forecast", unseen) == 200, 30, "unseen key")
    again = httpx.get(forecast, headers={"Authorization": f"Bearer {seen}"}, timeout=30)
    assert again.status_code == 200 and "X-Database-Unavailable-Since" not in again.headers


def test_a_server_started_without_its_database_answers_503_then_recovers(
    store: Store, database_url: str, proxy: Proxy, serve: Callable[[str], str]
) -> None:
    ingest_history(store, TRUSTS)
    store_run(store, TRUSTS)
    key = create_key(store, "reader", "read").token
    url = serve(through(database_url, proxy))  # pointed at a closed port
    assert_clean_503(httpx.get(f"{url}/readyz", timeout=30), proxy)
    assert_clean_503(httpx.get(f"{url}/v1/trusts/RXX/forecast", timeout=30,
                               headers={"Authorization": f"Bearer {key}"}), proxy)
    proxy.open()
    until(lambda: status(url, "/readyz") == 200, 60, "did not recover when the database came")
    assert status(url, "/v1/trusts/RXX/forecast", key) == 200
