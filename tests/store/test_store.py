"""The store on both backends: migrations, idempotent upserts, all-or-nothing, reads."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from contract.errors import StoreUnavailableError
from contract.inputs import validate_attendances, validate_temperature
from store import Store, UpsertResult
from store import _store as store_module
from store import _tables as tables

START = date(2024, 1, 1)


def attendances(trusts: list[str], days: int, admissions: bool = True) -> pl.DataFrame:
    rows = [
        {
            "trust_code": code,
            "date": START + timedelta(days=d),
            "attendances": 100 + 10 * i + d,
            "admissions": (20 + d) if admissions else None,
        }
        for i, code in enumerate(trusts)
        for d in range(days)
    ]
    return validate_attendances(pl.DataFrame(rows), as_of=date(2030, 1, 1))


def temperature(trusts: list[str], days: int) -> pl.DataFrame:
    rows = [
        {"trust_code": code, "date": START + timedelta(days=d), "temperature_c": 4.1 + d / 3}
        for code in trusts
        for d in range(days)
    ]
    return validate_temperature(pl.DataFrame(rows))


def updated_at(store: Store) -> dict[tuple[str, date], object]:
    table = tables.attendances
    with store.transaction(write=False) as conn:
        rows = conn.execute(sa.select(table.c.trust_code, table.c.date, table.c.updated_at))
        return {(code, day): stamp for code, day, stamp in rows}


def test_migrations_create_every_declared_table_and_column(store: Store) -> None:
    store.migrate()  # a second time is harmless
    inspector = sa.inspect(store.engine)
    names = set(inspector.get_table_names())  # the default schema: the test's own on PostgreSQL
    assert "alembic_version" in names
    for table in tables.metadata.tables.values():
        assert table.name in names
        stored = {column["name"] for column in inspector.get_columns(table.name)}
        assert set(table.columns.keys()) <= stored, table.name


def test_rows_read_back_exactly(store: Store) -> None:
    att, temp = attendances(["RXX", "R1H"], 5), temperature(["RXX", "RZZ"], 3)
    result = store.ingest(att, temp, source="test")
    assert result.attendances == UpsertResult(inserted=10, updated=0, unchanged=0)
    assert result.temperature == UpsertResult(inserted=6, updated=0, unchanged=0)
    assert store.read_attendances().equals(att)
    assert store.read_temperature().equals(temp)
    assert store.trust_codes() == ["R1H", "RXX"]  # temperature alone registers no trust
    assert store.counts() == {"trusts": 2, "attendances": 10, "temperatures": 6, "ingests": 2}


def test_the_same_rows_twice_change_nothing(store: Store) -> None:
    att, temp = attendances(["RXX", "R1H"], 5), temperature(["RXX"], 3)
    store.ingest(att, temp)
    stamps = updated_at(store)
    again = store.ingest(att, temp)
    assert again.attendances == UpsertResult(inserted=0, updated=0, unchanged=10)
    assert again.temperature == UpsertResult(inserted=0, updated=0, unchanged=3)
    assert updated_at(store) == stamps
    assert store.read_attendances().equals(att)


def test_a_changed_value_is_updated_alone(store: Store) -> None:
    att = attendances(["RXX", "R1H"], 5)
    store.upsert_attendances(att)
    stamps = updated_at(store)
    changed_day = (att["trust_code"] == "RXX") & (att["date"] == START)
    changed = att.with_columns(
        attendances=pl.when(changed_day).then(999).otherwise(pl.col("attendances"))
    )
    more = attendances(["RXX"], 6).filter(pl.col("date") == START + timedelta(days=5))
    result = store.upsert_attendances(pl.concat([changed, more]))
    assert result == UpsertResult(inserted=1, updated=1, unchanged=9)
    assert store.read_attendances().equals(pl.concat([changed, more]).sort("trust_code", "date"))
    moved = {key for key, stamp in updated_at(store).items() if stamps.get(key) != stamp}
    assert moved == {("RXX", START), ("RXX", START + timedelta(days=5))}


def test_missing_admissions_never_erase_stored_ones(store: Store) -> None:
    store.upsert_attendances(attendances(["RXX"], 3))
    result = store.upsert_attendances(attendances(["RXX"], 3, admissions=False))
    assert result == UpsertResult(inserted=0, updated=0, unchanged=3)
    assert store.read_attendances()["admissions"].to_list() == [20, 21, 22]


def test_an_ingest_is_all_or_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.ingest(attendances(["RXX"], 2), temperature(["RXX"], 2))
    before = (store.counts(), store.read_attendances(), store.read_temperature())
    real_audit = store_module._audit

    def audit_then_fail(conn: sa.Connection, kind: str, *args: object) -> None:
        real_audit(conn, kind, *args)  # type: ignore[arg-type]
        if kind == "temperature":
            raise RuntimeError("the disk is full")

    monkeypatch.setattr(store_module, "_audit", audit_then_fail)
    with pytest.raises(RuntimeError, match="disk is full"):
        store.ingest(attendances(["RXX", "R1H"], 4), temperature(["RXX", "R1H"], 4))
    assert store.counts() == before[0]
    assert store.read_attendances().equals(before[1])
    assert store.read_temperature().equals(before[2])


def test_reads_filter_by_trust_and_inclusive_dates(store: Store) -> None:
    store.ingest(attendances(["RXX", "R1H", "RZZ"], 10), temperature(["RXX"], 10))
    some = store.read_attendances(
        ["RXX", "RZZ"], start=START + timedelta(2), end=START + timedelta(4)
    )
    assert some["trust_code"].to_list() == ["RXX"] * 3 + ["RZZ"] * 3
    assert some["date"].min() == START + timedelta(2)
    assert some["date"].max() == START + timedelta(4)
    assert store.read_temperature(["R1H"]).height == 0
    none = store.read_attendances([])
    assert none.height == 0
    assert none.schema == store.read_attendances().schema


def test_a_reader_is_not_blocked_by_a_writer(store: Store, database_url: str) -> None:
    store.upsert_attendances(attendances(["RXX"], 2))
    with store.transaction() as writing:
        writing.execute(sa.delete(tables.attendances))
        with Store(database_url) as reader:
            assert reader.read_attendances().height == 2  # the committed state, at once
    assert store.read_attendances().height == 0


def test_ping_answers_or_says_unavailable(store: Store, tmp_path: Path) -> None:
    store.ping()
    with pytest.raises(StoreUnavailableError, match="no database at"):
        Store(f"sqlite:///{tmp_path / 'absent.db'}").ping()
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.postgres
def test_an_unreachable_server_is_unavailable() -> None:
    with pytest.raises(StoreUnavailableError, match="cannot reach the database"):
        Store("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2").ping()


def test_by_default_the_database_is_a_file_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AEF_DATABASE_URL", raising=False)
    with Store.from_settings() as store:
        assert store.dialect == "sqlite"
        store.migrate()
        store.ping()
    assert (tmp_path / "var" / "aeforecast.db").is_file()
