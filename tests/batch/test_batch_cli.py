"""`aeforecast batch` as the operator runs it: exit codes, stdout, logs, a bad model dir."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from datetime import timedelta

import polars as pl
import pytest
from support.batch_world import END, HORIZON, assert_whole, ingest, latest, row_counts, world
from support.commands import Cli
from support.database import Snapshot

from store import Store
from store.runs import run_trusts

NEWCOMER = "RNEW"  # a trust that opened ten days ago


def test_help_states_the_retrain_policy_and_exit_codes(cli: Cli) -> None:
    result = cli("batch", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "7 or more days before it" in text and "only predict" in text
    assert "Exit 1 when the run was stored complete but a trust was served by a fallback" in text


@pytest.mark.parametrize(("args", "message"), [
    (["--horizon", "0"], "the horizon must be 1 to 366 days"),
    (["--as-of", "30/06/2024"], "is not a date written YYYY-MM-DD"),
    (["--model", "prophet"], "unknown model(s) 'prophet'"),
])
def test_bad_usage_exits_2(cli: Cli, args: list[str], message: str) -> None:
    result = cli("batch", *args)
    assert result.returncode == 2 and message in result.stderr


def test_a_new_trust_is_served_by_a_fallback_and_exit_1(cli: Cli, database_url: str) -> None:
    newcomer = pl.DataFrame({
        "trust_code": NEWCOMER, "date": pl.date_range(END - timedelta(days=9), END, eager=True),
        "attendances": 80, "admissions": None,
    }).cast(world().attendances.schema)
    with Store(database_url) as store:
        store.migrate()
        ingest(store, END)
        store.ingest(newcomer, source="test")
        result = cli("batch", "--as-of", str(END), "--horizon", str(HORIZON), "--model", "snaive")
        assert result.returncode == 1, result.stderr
        run = latest(store)
        assert result.stdout.strip() == run.run_id
        assert_whole(store, run, [*world().trusts, NEWCOMER])
        new = run_trusts(store, run.run_id).filter(pl.col("trust_code") == NEWCOMER).row(
            0, named=True)
    assert new["status"] == "fallback"
    assert new["reason"] == "too little history: 10 observed days, the model needs 28"
    assert f"1 trust(s) served by a fallback: {NEWCOMER}" in result.stderr
    logs = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert {"load", "model", "forecast", "store", "retention"} <= {r.get("phase") for r in logs}
    made = [r for r in logs if r.get("phase") in ("forecast", "store")]
    fell_back = [r for r in logs if r["msg"].startswith(f"{NEWCOMER} falls back")]
    assert made and fell_back and all("run_id" in r for r in made + fell_back)  # every line
    assert run.run_id in {r["run_id"] for r in fell_back}  # (and the admissions run's own id)
    again = cli("batch", "--as-of", str(END), "--horizon", str(HORIZON), "--model", "snaive")
    assert again.returncode == 0 and again.stdout.strip() == run.run_id  # idempotent


def test_an_unwritable_model_dir_fails_cleanly(
    cli: Cli, database_url: str, database_snapshot: Callable[[], Snapshot]
) -> None:
    probe = cli.cwd / "probe"
    probe.mkdir(mode=stat.S_IRUSR | stat.S_IXUSR)
    if os.access(probe, os.W_OK):
        pytest.skip("this user can write to read-only directories (root)")
    with Store(database_url) as store:
        store.migrate()
        ingest(store, END)
        first = cli("batch", "--as-of", str(END - timedelta(days=1)), "--horizon", str(HORIZON))
        assert first.returncode == 0, first.stderr
        served, counts = latest(store), row_counts(store)
    models = cli.cwd / "models"
    before_files = sorted(p.relative_to(models) for p in models.rglob("*"))
    before = database_snapshot()
    for sub in (models, *models.iterdir()):
        sub.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = cli("batch", "--as-of", str(END), "--horizon", str(HORIZON), "--retrain",
                     "always")
    finally:
        for sub in (models, *models.iterdir()):
            sub.chmod(stat.S_IRWXU)
    assert result.returncode == 1 and result.stdout == ""
    assert f"cannot write model artefacts under {models}" in result.stderr
    assert "Permission denied" in result.stderr
    assert sorted(p.relative_to(models) for p in models.rglob("*")) == before_files
    assert database_snapshot() == before
    with Store(database_url) as store:
        assert latest(store) == served and row_counts(store) == counts


def test_a_model_dir_that_is_a_file_fails_cleanly(
    cli: Cli, database_url: str, database_snapshot: Callable[[], Snapshot]
) -> None:
    with Store(database_url) as store:
        store.migrate()
        ingest(store, END)
    (cli.cwd / "models").write_text("not a directory\n")
    before = database_snapshot()
    result = cli("batch", "--as-of", str(END), "--horizon", str(HORIZON))
    assert result.returncode == 1 and result.stdout == ""
    assert f"cannot write model artefacts under {cli.cwd / 'models'}" in result.stderr
    assert database_snapshot() == before
