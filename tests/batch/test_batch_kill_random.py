"""SIGKILL the real `aeforecast batch` at random moments, many times, on both backends.

`test_batch_kill.py` kills at chosen phases; here the moment is drawn at random (seeded) from the
whole life of the process, start-up included, so the kill lands wherever it lands: importing,
reading, training, writing a model, forecasting, inside the store transaction, after it. Every
trial checks that the run served is whole (the previous one, or the new one when the kill came
after it was stored: a batch stores the attendances run, then the admissions one), that every
visible model version loads, and that the next batch then completes. Half the trials force a
retrain, so training and saving are hit too.

Trials: 8 kills on SQLite, 4 on PostgreSQL by default (each costs a killed batch and a full one;
the stratified draw spreads even 4 over the whole life of a batch; a draw that outlasts the batch
is recorded as "finished" and another is drawn);
`AEF_TEST_KILL_TRIALS=N` runs N on each, `AEF_TEST_KILL_SEED=S` changes the draw, and
`AEF_TEST_KILL_RECORD=FILE` writes every trial (delay, phase reached, outcome) as JSON lines.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from support.batch_world import END, HORIZON, assert_whole, ingest, latest, statuses, world
from support.commands import Cli

from batch.registry import ModelRegistry
from forecast.catalog import DEFAULT_MODEL
from store import Store

# slow: real batches killed and rerun; AEF_TEST_KILL_TRIALS=50 outlasts the 600 s default
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]
SEED = int(os.environ.get("AEF_TEST_KILL_SEED", "20261201"))
DEFAULT_TRIALS = {"sqlite": 8, "postgresql": 4}


@dataclass(frozen=True)
class Trial:
    backend: str
    number: int
    retrain: bool
    delay_s: float
    phase_reached: str  # the last phase the batch logged before the kill ("start-up": none)
    outcome: str  # "killed", or "finished" when the batch ended before the kill landed


def trials_for(backend: str) -> int:
    return int(os.environ.get("AEF_TEST_KILL_TRIALS", DEFAULT_TRIALS[backend]))


def batch_args(as_of_offset: int, retrain: bool) -> list[str]:
    as_of = END - timedelta(days=as_of_offset)
    return ["batch", "--as-of", str(as_of), "--horizon", str(HORIZON),
            *(["--retrain", "always"] if retrain else [])]


def timed(cli: Cli, args: list[str]) -> float:
    started = time.monotonic()
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


def kill_after(cli: Cli, args: list[str], delay: float) -> tuple[str, str]:
    """Start the batch, SIGKILL it (and anything it started) after `delay` seconds."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aeforecast.cli", *args], cwd=cli.cwd, env=cli.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    _, err = process.communicate()
    if process.returncode == -signal.SIGKILL:
        return "killed", last_phase(err)
    assert process.returncode == 0, err
    return "finished", "done"


def last_phase(stderr: str) -> str:
    phases = [json.loads(line).get("phase") for line in stderr.splitlines()
              if line.startswith("{")]
    reached = [p for p in phases if p]
    return reached[-1] if reached else "start-up"


def test_sigkill_at_random_moments_never_loses_the_served_run(
    cli: Cli, database_url: str
) -> None:
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    count = trials_for(backend)
    attempts = 2 * count  # a draw can outlast the batch: it then counts as a run, not a kill
    rng = random.Random(f"{SEED}-{backend}")
    registry = ModelRegistry(cli.cwd / "models")
    record: list[Trial] = []
    with Store(database_url) as store:
        store.migrate()
        ingest(store, END)
        durations = {True: timed(cli, batch_args(attempts + 1, True)), False: 0.0}
        durations[False] = timed(cli, batch_args(attempts, False))
        previous = latest(store)
        for number in range(1, attempts + 1):
            retrain = number % 2 == 1
            args = batch_args(attempts - number, retrain)
            versions = {v.version_id for v in registry.versions(DEFAULT_MODEL)}
            # Stratified: the k-th draw falls in the k-th slice of the batch's life, so the kills
            # spread from start-up to the store however long training takes on a loaded machine.
            stratum = (number - 1) % count
            delay = 0.9 * durations[retrain] * (stratum + rng.random()) / count
            outcome, phase = kill_after(cli, args, delay)
            record.append(Trial(backend, number, retrain, round(delay, 3), phase, outcome))
            _write_record(record[-1:])
            served = latest(store)
            if served != previous:  # stored before the kill (e.g. before the admissions run)
                assert served.as_of == END - timedelta(days=attempts - number), record[-1]
            assert_whole(store, served, world().trusts)
            for version in registry.versions(DEFAULT_MODEL):  # every visible version is whole
                if version.version_id not in versions:
                    assert registry.load(version).name == DEFAULT_MODEL, record[-1]
            durations[retrain] = timed(cli, args)  # the next run completes
            run = latest(store)
            assert run.as_of > previous.as_of and "running" not in statuses(store).values()
            assert_whole(store, run, world().trusts)
            previous = run
            if sum(t.outcome == "killed" for t in record) == count:
                break
    killed = [t for t in record if t.outcome == "killed"]
    assert len(killed) == count, record
    assert len({t.phase_reached for t in killed}) >= min(count, 2), record  # spread out
    assert not list((cli.cwd / "models" / DEFAULT_MODEL).glob(".tmp-*"))  # cleaned by reruns


def _write_record(record: list[Trial]) -> None:
    target = os.environ.get("AEF_TEST_KILL_RECORD")
    if target:
        with Path(target).open("a") as sink:
            for trial in record:
                sink.write(json.dumps({"seed": SEED, **asdict(trial)}) + "\n")
