"""The must-show: SIGKILL the real `aeforecast batch` at several points; the previous run stays
the one served, whole, and a rerun then completes. On SQLite and on PostgreSQL.

`AEF_TEST_PAUSE_AT=<phase>` stops the batch dead at that phase and writes a marker file, so the
kill lands where intended every time: before training, half-way through writing a model version,
while forecasting, and inside the store transaction (rows written, status not yet flipped).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from support.batch_world import END, HORIZON, assert_whole, ingest, latest, statuses, world
from support.commands import Cli

from batch.registry import ModelRegistry
from forecast.catalog import DEFAULT_MODEL
from store import Store
from store.runs import RunInfo

pytestmark = pytest.mark.slow  # real batches killed at each phase and rerun

KILL_POINTS = [  # phase, extra arguments that make the batch reach it
    ("train", ["--retrain", "always"]),
    ("save", ["--retrain", "always"]),
    ("forecast", []),
    ("store", []),
]


def start_paused(cli: Cli, args: list[str], phase: str, marker: Path) -> subprocess.Popen[str]:
    env = {**cli.env, "AEF_TEST_PAUSE_AT": phase, "AEF_TEST_PAUSE_MARKER": str(marker)}
    return subprocess.Popen(
        [sys.executable, "-m", "aeforecast.cli", "batch", *args], cwd=cli.cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def wait_for(marker: Path, process: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            raise AssertionError(f"the batch ended (exit {process.returncode}) first:\n{err}")
        assert time.monotonic() < deadline, "the batch never reached its pause"
        time.sleep(0.05)


def kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)  # the batch and any worker processes it started
    process.communicate()
    assert process.returncode == -signal.SIGKILL


def assert_served(store: Store, expected: RunInfo) -> None:
    run = latest(store)
    assert run == expected
    assert_whole(store, run, world().trusts)


def test_sigkill_anywhere_leaves_the_previous_run_served(
    cli: Cli, database_url: str, tmp_path: Path
) -> None:
    registry = ModelRegistry(cli.cwd / "models")
    with Store(database_url) as store:
        store.migrate()
        ingest(store, END)
        first_as_of = END - timedelta(days=len(KILL_POINTS))
        done = cli("batch", "--as-of", str(first_as_of), "--horizon", str(HORIZON))
        assert done.returncode == 0, done.stderr
        previous = latest(store)
        for i, (phase, extra) in enumerate(KILL_POINTS, start=1):
            args = ["--as-of", str(first_as_of + timedelta(days=i)), "--horizon", str(HORIZON),
                    *extra]
            versions = registry.versions(DEFAULT_MODEL)
            marker = tmp_path / f"paused-{phase}"
            process = start_paused(cli, args, phase, marker)
            wait_for(marker, process)
            assert_served(store, previous)  # a reader while the batch is mid-phase
            kill(process)
            assert_served(store, previous)
            assert "running" in statuses(store).values()  # the dead attempt, invisible
            assert registry.versions(DEFAULT_MODEL) == versions, phase  # no half a version

            rerun = cli("batch", *args)
            assert rerun.returncode == 0, rerun.stderr
            run = latest(store)
            assert run.run_id == rerun.stdout.strip() and run.as_of > previous.as_of
            assert_whole(store, run, world().trusts)
            assert "running" not in statuses(store).values()  # the dead attempt: 'failed'
            previous = run
        assert not list((cli.cwd / "models" / DEFAULT_MODEL).glob(".tmp-*"))
