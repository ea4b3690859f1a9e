"""`aeforecast db` and `AEF_MIGRATE_ON_START=false`, for operators who migrate as a step of
their own, on both backends; and `aeforecast --version`."""

from __future__ import annotations

import subprocess
import sys

from support.commands import Cli

from store import Store


def run(cli: Cli, *args: str, migrate: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**cli.env, "AEF_MIGRATE_ON_START": "true" if migrate else "false"}
    return subprocess.run([sys.executable, "-m", "aeforecast.cli", *args], cwd=cli.cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_with_migration_off_commands_refuse_an_old_schema_until_db_upgrade(cli: Cli) -> None:
    with Store(cli.database_url) as store:
        head = store.schema_revision()[1]  # the newest migration shipped
    refused = run(cli, "keys", "list", migrate=False)
    assert refused.returncode == 1, refused.stderr
    assert f"this version needs {head}" in refused.stderr
    assert "run `aeforecast db upgrade` first" in refused.stderr
    behind = run(cli, "db", "status", migrate=False)
    assert behind.returncode == 1 and f"schema empty, this version needs {head}" in behind.stdout
    upgraded = run(cli, "db", "upgrade", migrate=False)
    assert upgraded.returncode == 0
    assert f"migrated the schema from empty to {head}" in upgraded.stderr
    again = run(cli, "db", "upgrade", migrate=False)
    assert again.returncode == 0 and f"already at {head}; nothing to do" in again.stderr
    assert run(cli, "db", "status", migrate=False).returncode == 0
    listed = run(cli, "keys", "list", migrate=False)
    assert listed.returncode == 0 and listed.stdout.startswith("prefix"), listed.stderr


def test_the_version_names_the_libraries_it_runs_on(cli: Cli) -> None:
    shown = run(cli, "--version")
    assert shown.returncode == 0
    line = shown.stdout.strip()
    assert line.startswith("aeforecast 0.1.0 (python 3.") and "polars " in line, line
    assert "lightgbm " in line and "\n" not in line
