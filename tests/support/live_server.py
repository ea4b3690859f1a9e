"""`aeforecast serve` as a real process on a free port, over a store the test prepared.

`serve` takes a database URL and settings (the caller writes a run with the batch's run
store, `support.api_world.store_run`, and creates its keys); `serve_env` takes the environment
of a `Cli` that ran the real synth -> ingest -> batch chain. Either yields the base URL once
/readyz says 200 and stops the server afterwards, whatever the test did.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(database_url: str, cwd: Path, **settings: str) -> Iterator[str]:
    """The base URL of a ready server; `settings` become AEF_<NAME> variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AEF_")}
    env.update(AEF_DATABASE_URL=database_url, AEF_MODEL_DIR=str(cwd / "models"))
    env.update({f"AEF_{name.upper()}": value for name, value in settings.items()})
    with serve_env(env, cwd) as url:
        yield url


@contextmanager
def serve_env(env: dict[str, str], cwd: Path, until: str = "/readyz") -> Iterator[str]:
    """The base URL of a server started with exactly `env` in `cwd`, once `until` answers 200
    (`/healthz` for a store that is meant not to be ready)."""
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "aeforecast.cli", "serve", "--port", str(port)],
            cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log, until=until)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90,
               until: str = "/readyz") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"aeforecast serve exited {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}{until}", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{until} not 200 after {timeout} s:\n{log.read_text()}")
