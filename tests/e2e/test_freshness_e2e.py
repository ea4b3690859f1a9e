"""Served forecasts tell the truth about their data, over real HTTP, on both backends.

As an operator meets it: `aeforecast synth` -> `ingest` -> `batch` (default as-of) -> `keys` ->
`aeforecast serve` on a free port.

1. A store whose data ends 60 days before today: the batch forecasts from where the data ends,
   `/readyz` is 503 saying how old the data is, every response says `stale: true` with the
   right `data_to`, and the dashboard says so in words.
2. One trust's feed stopped 62 days before the others': only it is flagged and left out, the
   batch's exit status (1) and summary name it, the others are served from today.
3. A run withdrawn while the API serves: the previous run is served within a refresh, and a
   reader polling all the while never fails and never sees a mix of the two runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import polars as pl
import pytest
from support.api_world import bearer
from support.commands import Cli, new_key, run_ok
from support.live_server import serve_env

pytestmark = pytest.mark.slow
TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)


@dataclass(frozen=True)
class Served:
    url: str
    run_id: str
    trusts: list[str]
    read: str
    batch_stderr: str
    batch_status: int


def _prepare(cli: Cli, tmp_path: Path, trusts: int, end: date, stop: dict[str, int]) -> Path:
    """synth ending `end`; each trust in `stop` loses its last N days (a feed that stopped)."""
    run_ok(cli, "synth", "--out", "data", "--trusts", str(trusts), "--years", "2", "--seed", "19",
           "--end", end.isoformat())
    attendances = pl.read_parquet(tmp_path / "data" / "attendances.parquet")
    codes = sorted(attendances["trust_code"].unique().to_list())
    for index, days in stop.items():
        gone = (pl.col("trust_code") == codes[int(index)]) & (
            pl.col("date") > end - timedelta(days=days))
        attendances = attendances.filter(~gone)
    path = tmp_path / "data" / "fed.parquet"
    attendances.write_parquet(path)
    run_ok(cli, "ingest", "--attendances", str(path), "--temperature", "data/temperature.parquet")
    return path


@pytest.fixture
def old_store(cli: Cli, tmp_path: Path) -> Iterator[Served]:
    end = TODAY - timedelta(days=60)
    _prepare(cli, tmp_path, 3, end, {})
    batch = cli("batch", "--horizon", "14", "--model", "snaive", "--no-admissions")
    assert batch.returncode == 0, batch.stderr  # every trust reaches the as-of: nothing left out
    assert (f"the newest data ends {end}, 60 days before today (limit 3, AEF_STALE_AFTER_DAYS): "
            f"the run forecasts from {end + timedelta(days=1)} and is served flagged stale"
            ) in batch.stderr
    trusts = sorted(pl.read_parquet(tmp_path / "data" / "fed.parquet")["trust_code"].unique())
    with serve_env(cli.env, tmp_path, until="/healthz") as url:
        yield Served(url, batch.stdout.split()[-1], trusts, new_key(cli, "read"), batch.stderr,
                     batch.returncode)


def test_an_old_store_is_forecast_from_its_end_and_flagged_stale_everywhere(
    old_store: Served,
) -> None:
    end = TODAY - timedelta(days=60)
    with httpx.Client(base_url=old_store.url, timeout=30, follow_redirects=True) as http:
        ready = http.get("/readyz")
        assert ready.status_code == 503, ready.text
        error = ready.json()["error"]
        assert error["code"] == "stale_data" and f"{end}, 60 days ago" in error["message"]
        listed = http.get("/v1/trusts", headers=bearer(old_store.read)).json()["trusts"]
        assert [t["trust_code"] for t in listed] == old_store.trusts
        for item in listed:
            assert item["stale"] is True and item["data_to"] == end.isoformat(), item
            assert item["as_of"] == end.isoformat()  # the default as-of: where the data ends
            assert item["first_date"] == (end + timedelta(days=1)).isoformat()
        code = old_store.trusts[0]
        url = f"/v1/trusts/{code}/forecast"
        body = http.get(url, params={"start": str(end + timedelta(days=1)), "days": 7},
                        headers=bearer(old_store.read))
        assert body.status_code == 200, body.text
        assert body.json()["stale"] is True and body.json()["data_to"] == end.isoformat()
        assert body.headers["X-Data-Stale"] == "true"
        csv = http.get(url, params={"start": str(end + timedelta(days=1)), "format": "csv"},
                       headers=bearer(old_store.read)).text.strip().splitlines()
        assert csv[0].endswith(",data_to,stale")
        assert all(line.endswith(f",{end},true") for line in csv[1:])
        tomorrow = http.get(url, headers=bearer(old_store.read))  # not dressed up as current
        assert tomorrow.status_code == 422 and "stale" in tomorrow.json()["error"]["message"]
        alerts = http.get(f"/v1/trusts/{code}/alerts",
                          params={"start": str(end + timedelta(days=1))},
                          headers=bearer(old_store.read)).json()
        assert alerts["stale"] is True and alerts["data_to"] == end.isoformat()
        page = http.get(f"/dashboard/{code}", params={"token": old_store.read})
        assert page.status_code == 200
        assert "Stale data: do not plan on this as current." in page.text
        assert f"{end:%a %d %b %Y}, 60 days ago" in page.text
        listing = http.get("/dashboard")
        assert listing.text.count("stale: ends") == len(old_store.trusts)
        metrics = http.get("/metrics").text
        assert f'aef_data_age_days{{trust_code="{code}"}} 60.0' in metrics


@pytest.fixture
def one_stale(cli: Cli, tmp_path: Path) -> Iterator[Served]:
    _prepare(cli, tmp_path, 10, YESTERDAY, {"3": 62})
    batch = cli("batch", "--horizon", "14", "--model", "snaive", "--no-admissions")
    trusts = sorted(pl.read_parquet(tmp_path / "data" / "fed.parquet")["trust_code"].unique())
    with serve_env(cli.env, tmp_path) as url:
        yield Served(url, batch.stdout.split()[-1], trusts, new_key(cli, "read"), batch.stderr,
                     batch.returncode)


def test_one_stale_trust_among_ten_is_named_left_out_and_alone_flagged(
    one_stale: Served, cli: Cli
) -> None:
    stale = one_stale.trusts[3]
    stopped = YESTERDAY - timedelta(days=62)
    assert one_stale.batch_status == 1, one_stale.batch_stderr
    summary = [line for line in one_stale.batch_stderr.splitlines() if not line.startswith("{")]
    assert "warning: 1 trust(s) not forecast, their data is stale:" in summary
    expected = f"  {stale}: data ends {stopped}, 62 days before the run's as-of {YESTERDAY}"
    assert any(line.startswith(expected) for line in summary), summary
    assert "Traceback" not in one_stale.batch_stderr
    with httpx.Client(base_url=one_stale.url, timeout=30) as http:
        assert http.get("/readyz").status_code == 200  # the store as a whole is current
        listed = {t["trust_code"]: t for t in http.get(
            "/v1/trusts", headers=bearer(one_stale.read)).json()["trusts"]}
        assert listed[stale]["stale"] is True and listed[stale]["status"] == "stale"
        assert listed[stale]["data_to"] == stopped.isoformat() and listed[stale]["reason"]
        fresh = [c for c in one_stale.trusts if c != stale]
        for code in fresh:
            assert listed[code]["stale"] is False and listed[code]["status"] == "ok"
            assert listed[code]["data_to"] == YESTERDAY.isoformat()
            assert listed[code]["first_date"] == TODAY.isoformat()
        today = http.get(f"/v1/trusts/{fresh[0]}/forecast", params={"start": str(TODAY)},
                         headers=bearer(one_stale.read))
        assert today.status_code == 200, today.text  # the nightly run covers today
        assert today.json()["days"][0]["date"] == TODAY.isoformat()
        assert today.json()["stale"] is False
        left_out = http.get(f"/v1/trusts/{stale}/forecast", headers=bearer(one_stale.read))
        assert left_out.status_code == 404 and "62 days" in left_out.json()["error"]["message"]
    listing = run_ok(cli, "runs", "list")
    assert one_stale.run_id in listing and " 10 " in listing


def test_a_run_withdrawn_while_serving_switches_whole_to_the_previous(
    one_stale: Served, cli: Cli
) -> None:
    first = one_stale.run_id
    second = cli("batch", "--horizon", "21", "--model", "snaive", "--no-admissions")
    assert second.returncode == 1, second.stderr  # the stale trust is still named
    second_id = second.stdout.split()[-1]
    code = one_stale.trusts[0]
    seen: list[tuple[int, str, str, int]] = []
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=one_stale.url, timeout=30) as http:
            while not stop.is_set():
                got = http.get(f"/v1/trusts/{code}/forecast",
                               params={"start": str(TODAY), "days": 14},
                               headers=bearer(one_stale.read))
                body = got.json() if got.status_code == 200 else {}
                seen.append((got.status_code, got.headers.get("X-Run-ID", ""),
                             body.get("run_id", ""), len(body.get("days", []))))
                stop.wait(0.05)  # 20 a second: under the key's rate limit (600 a minute)

    with httpx.Client(base_url=one_stale.url, timeout=30) as http:
        assert _served_run(http) == second_id  # same as-of, made later: served
        reader = threading.Thread(target=poll)
        reader.start()
        try:
            run_ok(cli, "runs", "withdraw", second_id, "--reason", "bad feed for one trust")
            for _ in range(100):
                if _served_run(http) == first:
                    break
                threading.Event().wait(0.1)
        finally:
            threading.Event().wait(1.0)
            stop.set()
            reader.join()
        assert _served_run(http) == first
    assert seen and all(status == 200 for status, *_ in seen), [s for s in seen if s[0] != 200][:5]
    assert all(header == body for _, header, body, _ in seen)  # one run per response
    assert {body for _, _, body, _ in seen} == {second_id, first}
    assert all(days == 14 for *_, days in seen)
    switched = [body for _, _, body, _ in seen]
    assert switched == sorted(switched, key=lambda run: run == first)  # never back again
    listing = run_ok(cli, "runs", "list")
    assert "withdrawn" in listing and "bad feed for one trust" in listing


def _served_run(http: httpx.Client) -> str:
    return str(http.get("/readyz").json()["run_id"])
