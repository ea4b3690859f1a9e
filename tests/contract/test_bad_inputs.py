"""The bad-input corpus (tests/bad_inputs/manifest.toml): every file is refused by the real
`aeforecast ingest` with exit 2 and a message naming the problem, every request body by the API
with 422 (413 when too big), and in every case the store is unchanged. On both backends.

The command runs as a subprocess, as an operator runs it; the entries run a few at a time against
one seeded database, whose snapshot must be the same after all of them as before (the store only
ever grows, so any write by any entry would show). Every file runs on SQLite (the default, whose
file must stay byte-identical); PostgreSQL gets one file of each family (POSTGRES_SAMPLE): the
command validates before it even opens the store, and a process start costs a second here.
What a demanding user would expect to be *accepted* (an Excel export with a BOM and CRLF,
classic Mac line ends, ...) is tested at the end.
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from support.commands import Cli
from support.database import Snapshot
from support.paths import BAD_INPUTS

with warnings.catch_warnings():  # Starlette prefers httpx2 to the httpx we install; same client
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from api.app import create_app
from contract._files import MAX_FILE_BYTES, MAX_ROWS
from contract.inputs import read_attendances
from contract.settings import Settings
from store import Store
from store.keys import create_key

CORPUS = BAD_INPUTS
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text())
GOOD_ATTENDANCES = "trust_code,date,attendances,admissions\nRXX,2024-01-01,312,70\n"
PARALLEL = 3  # subprocesses at once
POSTGRES_SAMPLE = {
    "empty.csv", "not_utf8_latin1.csv", "duplicate_key.csv", "count_fractional.csv",
    "date_future.csv", "trust_sql.csv", "temperature_nan.csv", "parquet_wrong_schema.parquet",
    "truncated.parquet", "too_large.csv",
}


@dataclass(frozen=True)
class Entry:
    name: str
    expect: list[str]
    kind: str = "attendances"
    generated: str | None = None
    endpoint: str = "attendances"
    body: str | None = None
    status: int = 422


FILES = [Entry(**entry) for entry in MANIFEST["file"]]
BODIES = [Entry(**entry) for entry in MANIFEST["api"]]


def test_the_corpus_is_large_and_every_file_is_listed() -> None:
    listed = {e.name for e in FILES if e.generated is None}
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix in (".csv", ".parquet", ".txt")}
    assert listed == on_disk
    assert len(FILES) >= 30 and len(BODIES) >= 30
    assert all(e.expect for e in FILES + BODIES)


# --- files the command refuses ------------------------------------------------------------------


def _truncated_parquet(path: Path) -> None:
    frame = pl.DataFrame(
        {"trust_code": ["RXX"] * 400, "date": pl.date_range(date(2023, 1, 1), date(2024, 2, 4),
                                                            eager=True),
         "attendances": range(400)}
    )
    frame.write_parquet(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _too_large(path: Path) -> None:
    """A sparse file: over the limit on paper, no disk used; refused before a byte is read."""
    with path.open("wb") as sink:
        sink.write(GOOD_ATTENDANCES.encode())
        sink.truncate(MAX_FILE_BYTES + 1)


def _large_bad_last_row(path: Path) -> None:
    """200,000 good rows, then one bad one: found, and named by its line."""
    days = pl.date_range(date(2018, 1, 1), date(2018, 1, 1) + timedelta(days=1999), eager=True)
    trusts = [f"R{i:02d}A" for i in range(100)]
    frame = pl.DataFrame({"trust_code": trusts}).join(pl.DataFrame({"date": days}), how="cross")
    frame = frame.with_columns(attendances=pl.int_range(0, frame.height) % 400 + 50)
    frame.write_csv(path)
    with path.open("a") as sink:
        sink.write("RBAD,2024-01-01,-5\n")


def _many_problems(path: Path) -> None:
    rows = [f"RXX,{date(2023, 1, 1) + timedelta(days=d)},-{d + 1},0" for d in range(1000)]
    path.write_text("trust_code,date,attendances,admissions\n" + "\n".join(rows) + "\n")


def _parquet_bomb(path: Path) -> None:
    rows = pl.select(pl.int_range(0, MAX_ROWS + 1).alias("i")).with_columns(
        trust_code=pl.lit("RXX"), date=pl.lit(date(2024, 1, 1)), attendances=pl.lit(312)
    )
    rows.drop("i").write_parquet(path, compression="zstd")


def _csv_long_field(path: Path) -> None:
    path.write_text(f'trust_code,date,attendances\n"{"R" * 200_000}",2024-01-01,312\n')


GENERATORS: dict[str, Callable[[Path], None]] = {
    "parquet_bomb": _parquet_bomb,
    "csv_long_field": _csv_long_field,
    "truncated_parquet": _truncated_parquet,
    "too_large": _too_large,
    "large_bad_last_row": _large_bad_last_row,
    "many_problems": _many_problems,
}


def _seeded(database_url: str, tmp_path: Path) -> Path:
    """A database that already holds data (refusing must not touch it); a good companion file."""
    good = tmp_path / "good.csv"
    good.write_text(GOOD_ATTENDANCES)
    with Store(database_url) as store:
        store.migrate()
        store.ingest(read_attendances(good), source="seed")
    return good


def _path_of(entry: Entry, tmp_path: Path) -> Path:
    if entry.generated is None:
        return CORPUS / entry.name
    path = tmp_path / entry.name
    GENERATORS[entry.generated](path)
    return path


def _arguments(entry: Entry, path: Path, good: Path) -> list[str]:
    if entry.kind == "temperature":
        return ["ingest", "--attendances", str(good), "--temperature", str(path)]
    return ["ingest", "--attendances", str(path)]


def test_every_bad_file_is_refused_with_exit_2_and_the_store_unchanged(
    cli: Cli, database_url: str, tmp_path: Path, database_snapshot: Callable[[], Snapshot]
) -> None:
    good = _seeded(database_url, tmp_path)
    sqlite = database_url.startswith("sqlite")
    entries = [e for e in FILES if sqlite or e.name in POSTGRES_SAMPLE]
    paths = {entry.name: _path_of(entry, tmp_path) for entry in entries}
    before = database_snapshot()
    with ThreadPoolExecutor(PARALLEL) as pool:
        results = dict(zip(
            paths,
            pool.map(lambda e: cli(*_arguments(e, paths[e.name], good), timeout=120), entries),
            strict=True,
        ))
    failures = []
    for entry in entries:
        result, source = results[entry.name], str(paths[entry.name])
        message = result.stderr.lower()
        missing = [word for word in [source, *entry.expect] if word.lower() not in message]
        if result.returncode != 2 or missing or "traceback" in message:
            failures.append(f"{entry.name}: exit {result.returncode}, missing {missing}:\n"
                            f"{result.stderr[-800:]}")
    assert not failures, "\n\n".join(failures)
    assert database_snapshot() == before
    if sqlite:
        assert results["many_problems.csv"].stderr.count("is negative") == 20  # then a count


# --- request bodies the API refuses -------------------------------------------------------------


def _body_of(entry: Entry) -> bytes:
    if entry.generated == "too_many_records":
        days = [f'{{"date": "{date(2010, 1, 1) + timedelta(days=d)}", "attendances": 1}}'
                for d in range(3661)]
        return ("[" + ",".join(days) + "]").encode()
    if entry.generated == "body_over_1_mb":
        item = '{"date": "2024-01-01", "attendances": 312},'
        return ("[" + item * 30_000 + "]").encode()
    assert entry.body is not None
    return entry.body.encode()


@pytest.fixture
def write_client(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    _seeded(database_url, tmp_path)
    with Store(database_url) as store:
        key = create_key(store, "corpus writer", "write").token
    app = create_app(Settings(database_url=database_url), refresh_seconds=0, key_ttl_seconds=60)
    with TestClient(app, raise_server_exceptions=False) as client:
        listed = client.get("/v1/trusts", headers={"Authorization": f"Bearer {key}"})
        assert listed.status_code == 200
        yield client, key  # the database is open (SQLite: its WAL file exists) and the key known


def test_every_bad_body_is_refused_and_the_store_unchanged(
    write_client: tuple[TestClient, str], database_snapshot: Callable[[], Snapshot]
) -> None:
    client, key = write_client
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    accepted = client.post("/v1/trusts/RXX/attendances", headers=headers,
                           content=b'[{"date": "2024-01-02", "attendances": 298}]')
    assert accepted.status_code == 200, accepted.text  # the key and route do work
    before = database_snapshot()
    failures = []
    for entry in BODIES:
        response = client.post(f"/v1/trusts/RXX/{entry.endpoint}", headers=headers,
                               content=_body_of(entry))
        error = response.json().get("error", {})
        text = (error.get("message", "") + str(error.get("details", ""))).lower()
        missing = [word for word in entry.expect if word.lower() not in text]
        if response.status_code != entry.status or missing or "traceback" in text:
            failures.append(f"{entry.name}: {response.status_code}, missing {missing}: "
                            f"{response.text[:400]}")
    assert not failures, "\n".join(failures)
    assert database_snapshot() == before


@pytest.mark.parametrize("code", ["RXX';DROP TABLE trusts;--", "rxx", "R%2F..%2F..", "RXX%00"])
def test_a_bad_trust_code_in_the_path_is_404_and_writes_nothing(
    write_client: tuple[TestClient, str], database_snapshot: Callable[[], Snapshot], code: str
) -> None:
    """A trust code travels in the path, not the body: a malformed one names no resource."""
    client, key = write_client
    before = database_snapshot()
    response = client.post(f"/v1/trusts/{code}/attendances",
                           headers={"Authorization": f"Bearer {key}"},
                           json=[{"date": "2024-01-02", "attendances": 298}])
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert database_snapshot() == before


# --- what a real analyst's export looks like is accepted ----------------------------------------

ROWS = [("RXX", date(2024, 1, 1), 312, 70), ("R1H", date(2024, 1, 1), 95, None)]
ACCEPTED = {  # file bytes whose content is valid, whatever Excel or an old Mac did to them
    "excel_bom_crlf.csv": b"\xef\xbb\xbftrust_code,date,attendances,admissions\r\n"
                          b"RXX,2024-01-01,312,70\r\nR1H,2024-01-01,95,\r\n",
    "mac_cr_only.csv": b"trust_code,date,attendances,admissions\r"
                       b"RXX,2024-01-01,312,70\rR1H,2024-01-01,95,\r",
    "quoted_padded.csv": b'"trust_code","date","attendances","admissions"\n'
                         b'" RXX ",2024-01-01, 312 ,"70"\n\nR1H,2024-01-01,95.0,\n\n',
    "excel_empty_columns.csv": b"trust_code,date,attendances,admissions,,\r\n"
                               b"RXX,2024-01-01,312,70,,\r\nR1H,2024-01-01,95,,,\r\n",
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_valid_content_in_an_awkward_file_is_read_correctly(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(ACCEPTED[name])
    frame = read_attendances(path)
    assert sorted(frame.iter_rows()) == sorted(ROWS)


def test_an_excel_export_is_stored_correctly(cli: Cli, tmp_path: Path, database_url: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(ACCEPTED["excel_bom_crlf.csv"])
    result = cli("ingest", "--attendances", str(path))
    assert result.returncode == 0, result.stderr
    with Store(database_url) as store:
        stored = store.read_attendances()
    assert sorted(stored.iter_rows()) == sorted(ROWS)
    assert stored.columns == ["trust_code", "date", "attendances", "admissions"]
