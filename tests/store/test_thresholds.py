"""Capacity thresholds: the TOML file, the command that loads it, the store, on both backends."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from support.commands import Cli
from support.database import Snapshot

from contract.errors import InputError
from contract.inputs import validate_attendances
from store import Store
from store.thresholds import Threshold, read_file, read_thresholds, replace_thresholds

GOOD = """
# attendances a day
[RXX]
amber = 320
red = 360

[R1H]
red = 410
"""


@pytest.fixture
def trusts(database_url: str) -> Iterator[Store]:
    """A store with three trusts; closed while a command runs, so files compare byte for byte."""
    with Store(database_url) as store:
        store.migrate()
        store.ingest(validate_attendances(pl.DataFrame({
            "trust_code": ["RXX", "R1H", "RZZ"], "date": [date(2024, 1, 1)] * 3,
            "attendances": [300, 400, 100]})))
    with Store(database_url) as reopened:
        yield reopened


def test_load_replaces_the_listed_trusts_only(cli: Cli, trusts: Store, tmp_path: Path) -> None:
    replace_thresholds(trusts, {"RZZ": [Threshold("red", 150)],
                                "RXX": [Threshold("old", 1)]}, "api")
    (tmp_path / "thresholds.toml").write_text(GOOD)
    done = cli("thresholds", "load", "thresholds.toml")
    assert done.returncode == 0, done.stderr
    assert "3 threshold(s) for 2 trust(s)" in done.stdout
    assert [(t.name, t.attendances, t.source) for t in read_thresholds(trusts, "RXX")] == [
        ("amber", 320, "file"), ("red", 360, "file")]
    assert [t.attendances for t in read_thresholds(trusts, "RZZ")] == [150]  # not in the file
    listed = cli("thresholds", "list").stdout.splitlines()
    assert "RXX\tred\t360\tfile" in listed and "RZZ\tred\t150\tapi" in listed


def test_the_file_defaults_to_the_setting(cli: Cli, trusts: Store, tmp_path: Path) -> None:
    (tmp_path / "t.toml").write_text(GOOD)
    env = {**cli.env, "AEF_THRESHOLDS_FILE": str(tmp_path / "t.toml")}
    done = subprocess.run([sys.executable, "-m", "aeforecast.cli", "thresholds", "load"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [t.name for t in read_thresholds(trusts, "R1H")] == ["red"]
    assert cli("thresholds", "load").returncode == 2  # neither a file nor the setting


PREFIX = "[R1H]\nred = 410\n"


@pytest.mark.parametrize(("text", "message"), [
    ("[RXX]\nred = -4\n", "[RXX]: threshold 'red' must be a whole number of attendances from 0"),
    ("[RXX]\nred = 3\n[NOPE1]\nred = 4\n", "unknown trust(s) NOPE1"),
    ("[RXX\nred = 3\n", "not valid TOML"),
])
def test_a_bad_file_is_refused_whole_naming_where(
    cli: Cli, trusts: Store, tmp_path: Path, database_snapshot: Callable[[], Snapshot],
    text: str, message: str,
) -> None:
    trusts.close()
    (tmp_path / "bad.toml").write_text(PREFIX + text)
    before = database_snapshot()
    done = cli("thresholds", "load", "bad.toml")
    assert done.returncode == 2 and message in done.stderr and "bad.toml" in done.stderr, (
        done.stderr)
    assert database_snapshot() == before


@pytest.mark.parametrize(("text", "message"), [
    ("[RXX]\nred = 3.5\n", "[RXX] red: must be a whole number"),
    ("[RXX]\nred = true\n", "[RXX] red: must be a whole number"),
    ("[rxx]\nred = 3\n", "[rxx] is not a trust code"),
    ("RXX = 3\n", "RXX must be a table"),
    ("[RXX]\n\"-bad\" = 4\n", "'-bad' must be 1 to 40 letters"),
    ("[RXX]\n" + "".join(f"t{i} = {i}\n" for i in range(11)), "at most 10 thresholds"),
])
def test_read_file_names_the_table_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=re.escape(message)):
        read_file(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing.toml: cannot read the thresholds file"):
        read_file(tmp_path / "missing.toml")
