"""Hourly arrivals in the store, on both backends; and `aeforecast ingest --hourly`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
from support.commands import Cli
from support.database import Snapshot
from support.paths import HOURLY_SAMPLE

from contract.inputs import read_arrivals_hourly, validate_arrivals_hourly
from store import Store

SAMPLE = HOURLY_SAMPLE
AS_OF = date(2019, 3, 1)


def cardiff() -> pl.DataFrame:
    return read_arrivals_hourly(SAMPLE, as_of=AS_OF)


def test_hours_read_back_exactly_and_a_rerun_changes_nothing(store: Store) -> None:
    hourly = cardiff()
    first = store.ingest(arrivals_hourly=hourly, hourly_source="sample.csv").arrivals_hourly
    assert first is not None and (first.inserted, first.updated) == (hourly.height, 0)
    again = store.ingest(arrivals_hourly=hourly).arrivals_hourly
    assert again is not None and again.unchanged == hourly.height
    assert store.read_arrivals_hourly("UKH2").equals(hourly)
    assert store.read_arrivals_hourly("RXX").height == 0


def test_a_changed_hour_is_updated_alone(store: Store) -> None:
    hourly = cardiff()
    store.ingest(arrivals_hourly=hourly)
    hour = datetime(2018, 10, 28, 1, tzinfo=UTC)  # the second 01:00 on the autumn clock change
    change = validate_arrivals_hourly(
        pl.DataFrame({"trust_code": ["UKH2"], "hour_start_utc": [hour], "arrivals": [99]}),
        as_of=AS_OF,
    )
    result = store.ingest(arrivals_hourly=change).arrivals_hourly
    assert result is not None and (result.inserted, result.updated) == (0, 1)
    stored = store.read_arrivals_hourly("UKH2", start=hour, end=hour)
    assert stored.rows() == [("UKH2", hour, 99)]


def test_reads_take_inclusive_utc_bounds_and_the_extent_moves_with_writes(store: Store) -> None:
    assert store.hourly_extent("UKH2") is None
    store.ingest(arrivals_hourly=cardiff())
    start = datetime(2018, 11, 18, 0, tzinfo=UTC)
    tail = store.read_arrivals_hourly("UKH2", start=start)
    assert tail.height == 24 and tail["hour_start_utc"][0] == start
    extent = store.hourly_extent("UKH2")
    assert extent is not None and extent.latest_hour == datetime(2018, 11, 18, 23, tzinfo=UTC)
    later = cardiff().tail(1).with_columns(
        pl.col("hour_start_utc") + timedelta(hours=1), arrivals=pl.lit(3, dtype=pl.Int64)
    )
    store.ingest(arrivals_hourly=later)
    moved = store.hourly_extent("UKH2")
    assert moved is not None and moved.latest_hour == extent.latest_hour + timedelta(hours=1)
    assert moved.updated_at >= extent.updated_at


def test_ingest_hourly_from_the_command_line_and_refused_whole(
    cli: Cli, tmp_path: Path, database_url: str, database_snapshot: Callable[[], Snapshot]
) -> None:
    attendances = tmp_path / "attendances.csv"
    attendances.write_text("trust_code,date,attendances\nUKH2,2018-11-18,350\n")
    done = cli("ingest", "--attendances", str(attendances), "--hourly", str(SAMPLE))
    assert done.returncode == 0, done.stderr
    assert "hourly arrivals: 2352 rows read, 2352 inserted, 0 updated, 0 unchanged" in done.stdout
    with Store(database_url) as store:
        assert store.read_arrivals_hourly("UKH2").height == 2352
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "trust_code,hour_start_utc,arrivals\nUKH2,2018-11-19T00:00:00Z,4\n"
        "UKH2,2018-11-19T01:30:00Z,4\n"
    )
    before = database_snapshot()
    refused = cli("ingest", "--attendances", str(attendances), "--hourly", str(bad))
    assert refused.returncode == 2
    assert f"{bad}, line 3, column 'hour_start_utc'" in refused.stderr
    assert "is not the start of an hour" in refused.stderr
    assert database_snapshot() == before
