"""`aeforecast synth` end to end, and the files it writes (columns and types: docs/usage.md)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl

from synthetic_data import SynthConfig, generate, write

FILES = ["attendances.parquet", "temperature.parquet", "truth.parquet", "trusts.parquet",
         "hierarchy.parquet", "site_attendances.parquet", "site_truth.parquet"]


def synth(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "aeforecast.cli", "synth", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_synth_writes_the_contract_files(tmp_path: Path) -> None:
    out = tmp_path / "world"
    result = synth("--out", str(out), "--trusts", "3", "--years", "1", "--end", "2024-03-31")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    attendances = pl.read_parquet(out / "attendances.parquet")
    assert attendances.schema == pl.Schema(
        {"trust_code": pl.String, "date": pl.Date, "attendances": pl.Int64, "admissions": pl.Int64}
    )
    assert attendances["date"].max() == date(2024, 3, 31)
    temperature = pl.read_parquet(out / "temperature.parquet")
    assert temperature.schema == pl.Schema(
        {"trust_code": pl.String, "date": pl.Date, "temperature_c": pl.Float64}
    )
    truth = pl.read_parquet(out / "truth.parquet")
    assert {"trust_code": pl.String, "date": pl.Date, "expected": pl.Float64}.items() <= dict(
        truth.schema
    ).items()
    trusts = pl.read_parquet(out / "trusts.parquet")
    assert {"trust_code", "region", "nation"} <= set(trusts.columns)
    assert "3 trusts" in result.stderr


def test_synth_with_faults_and_forecast(tmp_path: Path) -> None:
    result = synth(
        "--out",
        str(tmp_path),
        "--trusts",
        "4",
        "--years",
        "1",
        "--end",
        "2024-03-31",
        "--gaps",
        "0.02",
        "--late-starts",
        "1",
        "--level-shifts",
        "1",
        "--collapse",
        "--temperature-forecast",
        "--overdispersion",
        "0",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "temperature_forecast.parquet").exists()


def test_bad_arguments_exit_2_and_write_nothing(tmp_path: Path) -> None:
    out = tmp_path / "never"
    for bad in (["--trusts", "0"], ["--end", "2024-13-01"], ["--years", "x"], ["--gaps", "2"]):
        result = synth("--out", str(out), *bad)
        assert result.returncode == 2, (bad, result.stderr)
        assert "error" in result.stderr
    assert not out.exists()


def test_written_files_are_byte_identical_for_a_seed(tmp_path: Path) -> None:
    config = SynthConfig(trusts=4, years=1, end=date(2024, 3, 31), seed=11)
    first = write(generate(config), tmp_path / "a")
    second = write(generate(config), tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_rewriting_without_forecast_removes_a_stale_one(tmp_path: Path) -> None:
    end = date(2024, 3, 31)
    write(generate(SynthConfig(trusts=2, years=1, end=end, temperature_forecast=True)), tmp_path)
    assert (tmp_path / "temperature_forecast.parquet").exists()
    write(generate(SynthConfig(trusts=2, years=1, end=end)), tmp_path)
    assert not (tmp_path / "temperature_forecast.parquet").exists()
