"""`aeforecast ingest` as an operator runs it: a real subprocess, on both backends."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from support.commands import Cli
from support.database import Snapshot

from contract.inputs import read_attendances
from store import Store

HEADER = "trust_code,date,attendances,admissions\n"


def good_csv(days: int = 4) -> str:
    rows = [
        f"{code},{date(2024, 1, 1) + timedelta(days=d)},{100 + d},{20 + d}"
        for code in ("RXX", "R1H")
        for d in range(days)
    ]
    return HEADER + "\n".join(rows) + "\n"


def write_files(tmp_path: Path) -> tuple[Path, Path]:
    attendances = tmp_path / "attendances.csv"
    attendances.write_text(good_csv())
    temperature = tmp_path / "temperature.parquet"
    pl.DataFrame(
        {
            "trust_code": ["RXX", "RNEW"],  # a trust with no attendances yet is fine
            "date": [date(2024, 1, 1), date(2024, 1, 2)],
            "temperature_c": [3.5, -1.0],
        }
    ).write_parquet(temperature)
    return attendances, temperature


def test_ingest_stores_both_files_and_a_rerun_changes_nothing(
    cli: Cli, tmp_path: Path, database_url: str
) -> None:
    attendances, temperature = write_files(tmp_path)
    args = ["ingest", "--attendances", str(attendances), "--temperature", str(temperature)]
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    assert "attendances: 8 rows read, 8 inserted, 0 updated, 0 unchanged" in first.stdout
    assert "temperature: 2 rows read, 2 inserted, 0 updated, 0 unchanged" in first.stdout
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert "attendances: 8 rows read, 0 inserted, 0 updated, 8 unchanged" in again.stdout
    with Store(database_url) as store:
        assert store.read_attendances().equals(read_attendances(attendances))
        assert store.read_temperature().height == 2
        assert store.counts()["ingests"] == 4


@pytest.mark.parametrize(
    ("rows", "where"),
    [
        ("RXX,2024-02-01,-3,1\n", r"line 10, column 'attendances': is negative"),
        ("RXX,2024-01-02,50,1\n", r"line 10, column 'date': duplicate"),
        ("RXX,2024/02/01,50,1\n", r"line 10, column 'date': is not a date"),
        (None, r"line 1, column 'attendances': missing required column"),
    ],
    ids=["negative", "duplicate", "bad-date", "missing-column"],
)
def test_bad_attendances_exit_2_and_write_nothing(
    cli: Cli,
    tmp_path: Path,
    database_url: str,
    database_snapshot: Callable[[], Snapshot],
    rows: str | None,
    where: str,
) -> None:
    with Store(database_url) as store:  # a database holding data already
        store.migrate()
        store.upsert_attendances(read_attendances(write_files(tmp_path)[0]))
    bad = tmp_path / "bad.csv"
    bad.write_text(good_csv() + rows if rows else "trust_code,date\nRXX,2024-01-01\n")
    before = database_snapshot()
    result = cli("ingest", "--attendances", str(bad))
    assert result.returncode == 2, result.stderr
    assert str(bad) in result.stderr
    assert re.search(where, result.stderr), result.stderr
    assert database_snapshot() == before


def test_a_bad_temperature_file_refuses_the_attendances_too(
    cli: Cli, tmp_path: Path, database_snapshot: Callable[[], Snapshot]
) -> None:
    attendances, _ = write_files(tmp_path)
    temperature = tmp_path / "temperature.csv"
    temperature.write_text("trust_code,date,temperature_c\nRXX,2024-01-01,75\n")
    before = database_snapshot()  # nothing yet: the database must not even be created
    result = cli("ingest", "--attendances", str(attendances), "--temperature", str(temperature))
    assert result.returncode == 2, result.stderr
    assert "temperature.csv, line 2, column 'temperature_c': is outside" in result.stderr
    assert database_snapshot() == before


def test_attendances_after_the_as_of_date_are_refused(cli: Cli, tmp_path: Path) -> None:
    attendances, _ = write_files(tmp_path)
    result = cli("ingest", "--attendances", str(attendances), "--as-of", "2024-01-03")
    assert result.returncode == 2, result.stderr
    assert "line 5, column 'date': is after the as-of date 2024-01-03" in result.stderr
    assert "line 9, column 'date'" in result.stderr
