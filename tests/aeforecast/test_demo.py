"""`python -m aeforecast.demo`: from an empty folder to a served forecast, twice in a row."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from support.commands import Cli
from support.live_server import free_port

pytestmark = pytest.mark.slow
SMALL = ["--trusts", "3", "--years", "2"]


def demo(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aeforecast.demo", *SMALL, *args],
        cwd=cli.cwd,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_prepares_everything_and_can_run_again(cli: Cli) -> None:
    first = demo(cli, "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "step 3/5" in first.stderr and (cli.cwd / "var/demo/attendances.parquet").exists()
    again = demo(cli, "--no-serve")
    assert again.returncode == 0, again.stderr
    assert "is current" in again.stderr and "0 inserted" in again.stdout


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_serves_and_its_curl_command_works(cli: Cli, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "aeforecast.demo", *SMALL, "--port", str(port)],
            cwd=cli.cwd,
            env=cli.env,
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
        )
    try:
        assert process.stdout is not None
        line = ""
        for line in process.stdout:
            if line.startswith("curl "):
                break
        match = re.fullmatch(r'curl -H "Authorization: Bearer (\S+)" (\S+)\n', line)
        assert match, f"no curl line; log:\n{log.read_text()}"
        key, url = match.groups()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        response = httpx.get(url, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, log.read_text()
        assert len(response.json()["days"]) == 14
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
