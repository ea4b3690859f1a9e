"""A model directory that cannot take a new version: full, or read-only. On both backends.

Tests run as root here, and `chmod` does not stop root (test_batch_cli.py covers chmod for other
users), so the faults are made with mechanisms that bind root too:

- full or read-only: a 256 KB tmpfs (a model is ~850 KB), or a read-only one, mounted over the
  model directory (needs CAP_SYS_ADMIN, which root has here; skipped without it);
- a file-size limit: the batch runs with RLIMIT_FSIZE (`resource.setrlimit` in the child), so
  writing the model fails part-way with "File too large"; no privilege needed (PostgreSQL only:
  on SQLite the database file, written by the same process, hits the limit first).

Either way the batch exits 1 with a message naming the directory and the reason, no version or
temporary directory is left behind, the failed attempt is recorded as failed, the previous run is
still the one served, and the next batch, with the fault gone, completes.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from support.batch_world import (
    END,
    HORIZON,
    assert_whole,
    ingest,
    latest,
    row_counts,
    statuses,
    world,
)
from support.commands import Cli

from batch.registry import ModelRegistry
from forecast.catalog import DEFAULT_MODEL
from store import Store

pytestmark = pytest.mark.slow  # real batches on a full or read-only disk

FILE_LIMIT = 64 * 1024  # bytes a file may grow to: far less than a model, more than a probe


def batch(cli: Cli, as_of_offset: int, *extra: str, file_limit: int | None = None,
          ) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        if file_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    args = ["batch", "--as-of", str(END - timedelta(days=as_of_offset)), "--horizon",
            str(HORIZON), *extra]
    return subprocess.run(
        [sys.executable, "-m", "aeforecast.cli", *args], cwd=cli.cwd, env=cli.env,
        capture_output=True, text=True, timeout=600, preexec_fn=limit,
    )


@pytest.fixture
def served(cli: Cli, database_url: str) -> Iterator[Store]:
    """A store with one complete run, and the model version it used."""
    with Store(database_url) as store:
        store.migrate()
        ingest(store, END)
        first = batch(cli, 2)
        assert first.returncode == 0, first.stderr
        yield store


def assert_nothing_half_written(store: Store, cli: Cli, before: dict[str, object]) -> None:
    run, counts, versions = before["run"], before["counts"], before["versions"]
    assert latest(store) == run
    now = row_counts(store)
    assert now["run_forecasts"] == counts["run_forecasts"]  # type: ignore[index]
    assert now["model_versions"] == counts["model_versions"]  # type: ignore[index]
    assert "running" not in statuses(store).values()
    registry = ModelRegistry(cli.cwd / "models")
    assert [v.version_id for v in registry.versions(DEFAULT_MODEL)] == versions
    assert not list((cli.cwd / "models").rglob(".tmp-*"))


def picture(store: Store, cli: Cli) -> dict[str, object]:
    registry = ModelRegistry(cli.cwd / "models")
    return {"run": latest(store), "counts": row_counts(store),
            "versions": [v.version_id for v in registry.versions(DEFAULT_MODEL)]}


@contextmanager
def tmpfs_over(target: Path, options: str) -> Iterator[None]:
    """A small tmpfs over `target`, hiding (not touching) what is under it; skip if impossible."""
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", str(target)], check=True)


@pytest.mark.parametrize(("options", "reason"), [
    ("size=256k", "No space left on device"),
    ("ro,size=256k", "Read-only file system"),
], ids=["full", "read-only"])
def test_a_full_or_read_only_model_dir_fails_the_batch_cleanly(
    served: Store, cli: Cli, options: str, reason: str
) -> None:
    before = picture(served, cli)
    models = cli.cwd / "models"
    with tmpfs_over(models, options):
        result = batch(cli, 1, "--retrain", "always")
        assert not list(models.rglob(".tmp-*"))  # the partial version was removed
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert f"cannot write model artefacts under {models}" in result.stderr
    assert reason in result.stderr and "Traceback" not in result.stderr
    assert_nothing_half_written(served, cli, before)
    again = batch(cli, 1, "--retrain", "always")  # the fault gone, the next run completes
    assert again.returncode == 0, again.stderr
    assert latest(served).run_id == again.stdout.strip()
    assert_whole(served, latest(served), world().trusts)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_file_size_limit_fails_the_batch_cleanly(served: Store, cli: Cli) -> None:
    """RLIMIT_FSIZE needs no privilege, so this runs everywhere; it binds every file the batch
    writes, so only a store in another process (PostgreSQL) leaves the model file as the one
    that fails (on SQLite the database file fails first, with 'disk I/O error')."""
    before = picture(served, cli)
    result = batch(cli, 1, "--retrain", "always", file_limit=FILE_LIMIT)
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    assert f"cannot write model artefacts under {cli.cwd / 'models'}" in result.stderr
    assert "File too large" in result.stderr and "Traceback" not in result.stderr
    assert_nothing_half_written(served, cli, before)
    assert "failed" in statuses(served).values()  # the attempt is on record, with its reason
    again = batch(cli, 1, "--retrain", "always")
    assert again.returncode == 0, again.stderr
    assert_whole(served, latest(served), world().trusts)
