"""Pinch points, drivers and what-if over real HTTP, after the real commands, on both backends.

synth (4 trusts, 2 years) -> ingest -> batch (ensemble, 14 days, drivers stored) -> keys ->
`aeforecast serve` on a free port; then thresholds, p_exceed, drivers, alerts and scenarios.
"""

from __future__ import annotations

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
TODAY = date.today().isoformat()


@dataclass(frozen=True)
class Served:
    url: str
    run_id: str
    trusts: list[str]
    read: str
    read_a: str  # trusts[0] only
    admin: str


@pytest.fixture
def served(cli: Cli, tmp_path: Path) -> Iterator[Served]:
    run_ok(cli, "synth", "--out", "data", "--trusts", "4", "--years", "2", "--seed", "11")
    run_ok(cli, "ingest", "--attendances", "data/attendances.parquet",
           "--temperature", "data/temperature.parquet")
    batch = cli("batch", "--horizon", "14")  # a shorter horizon trains faster
    assert batch.returncode in (0, 1), batch.stderr
    run_id = batch.stdout.strip().splitlines()[-1]
    trusts = sorted(pl.read_parquet(tmp_path / "data" / "attendances.parquet")["trust_code"]
                    .unique().to_list())
    keys = new_key(cli, "read"), new_key(cli, "read", trusts[0]), new_key(cli, "admin")
    with serve_env(cli.env, tmp_path) as url:
        yield Served(url, run_id, trusts, *keys)


def test_pinch_points_drivers_and_what_if_over_http(served: Served) -> None:
    with httpx.Client(base_url=served.url, timeout=60) as http:
        _thresholds_and_alerts(http, served)
        _p_exceed_and_drivers(http, served)
        _scenarios(http, served)
        paths = http.get("/openapi.json").json()["paths"]
        assert {"/v1/trusts/{trust_code}/thresholds", "/v1/trusts/{trust_code}/alerts",
                "/v1/trusts/{trust_code}/forecast/scenario"} <= set(paths)
        assert set(paths["/v1/trusts/{trust_code}/thresholds"]) == {"get", "put"}


def _thresholds_and_alerts(http: httpx.Client, served: Served) -> None:
    a, b = served.trusts[0], served.trusts[1]
    forecast = http.get(f"/v1/trusts/{a}/forecast", headers=bearer(served.read)).json()["days"]
    level = round(sorted(d["point"] for d in forecast)[len(forecast) // 2])  # the median day
    body = {"thresholds": [{"name": "amber", "attendances": level},
                           {"name": "red", "attendances": level * 3}]}
    url = f"/v1/trusts/{a}/thresholds"
    assert http.put(url, json=body, headers=bearer(served.read)).status_code == 403
    stored = http.put(url, json=body, headers=bearer(served.admin))
    assert stored.status_code == 200, stored.text
    assert [t["name"] for t in http.get(url, headers=bearer(served.read_a)).json()[
        "thresholds"]] == ["amber", "red"]
    other = http.get(f"/v1/trusts/{b}/thresholds", headers=bearer(served.read_a))
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    alerts = http.get(f"/v1/trusts/{a}/alerts?level=0.2", headers=bearer(served.read_a)).json()
    assert alerts["run_id"] == served.run_id and alerts["alerts"], alerts
    assert {x["threshold"]["name"] for x in alerts["alerts"]} == {"amber"}  # red is 3x: never
    for alert in alerts["alerts"]:
        assert alert["p_exceed"] >= 0.2 and alert["reason"].startswith("Forecast ")
        assert alert["drivers"] and {"driver", "label", "attendances", "explanation"} <= set(
            alert["drivers"][0])


def _p_exceed_and_drivers(http: httpx.Client, served: Served) -> None:
    for code in served.trusts:
        body = http.get(f"/v1/trusts/{code}/forecast?threshold=250&include=drivers&days=14"
                        f"&start={TODAY}", headers=bearer(served.read)).json()
        assert body["threshold"] == 250
        members = set()
        for day in body["days"]:
            assert 0 <= day["p_exceed"] <= 1
            assert (day["p_exceed"] > 0.5) == (day["point"] > 250) or abs(day["point"] - 250) < 5
            total = round(sum(d["attendances"] for d in day["drivers"]), 2)
            assert total == day["point"], day
            members.add(frozenset(d["driver"] for d in day["drivers"]))
        families = set().union(*members)
        assert {"recent_level", "weekday", "other"} <= families
        if "temperature" in families:  # LightGBM: every family it has, in plain words
            assert {"season", "bank_holiday", "trend", "flu_momentum"} <= families


def _scenarios(http: httpx.Client, served: Served) -> None:
    sensitive = 0
    for code in served.trusts:
        # data through yesterday: the run's 14 days are today's and the next 13
        plain = http.get(f"/v1/trusts/{code}/forecast?days=14&start={TODAY}",
                         headers=bearer(served.read))
        first = date.fromisoformat(plain.json()["days"][0]["date"])
        week = [(first + timedelta(days=i)).isoformat() for i in range(7)]
        heat = {"name": "heat wave",
                "temperatures": [{"date": d, "temperature_c": 34.0} for d in week]}
        response = http.post(f"/v1/trusts/{code}/forecast/scenario", json=heat,
                             headers=bearer(served.read))
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["run_id"] == served.run_id and result["name"] == "heat wave"
        served_points = {d["date"]: d["point"] for d in plain.json()["days"]}
        for day in result["days"]:
            assert day["baseline"]["point"] == pytest.approx(served_points[day["date"]], abs=0.02)
            assert day["changed"] == (day["date"] in week)
            if day["changed"]:
                assert day["scenario"]["temperature_c"] == 34.0
            elif day["date"] > (first + timedelta(days=8)).isoformat():
                # the two days after the window still feel it (day-to-day change, 3-day mean)
                assert day["difference"] == pytest.approx(0, abs=0.02)
        if result["note"] is None:
            sensitive += 1
            assert any(abs(d["difference"]) > 0.5 for d in result["days"] if d["changed"])
        else:
            assert "no temperature sensitivity" in result["note"]
            assert all(d["difference"] == 0 for d in result["days"])
    assert sensitive >= 1
    _scenario_errors(http, served)


def _scenario_errors(http: httpx.Client, served: Served) -> None:
    a, b = served.trusts[0], served.trusts[1]
    url = f"/v1/trusts/{a}/forecast/scenario"
    cases = [
        ({"temperatures": [{"date": "2001-01-01", "temperature_c": 20}]}, "temperatures[0].date"),
        ({"temperatures": [{"date": date.today().isoformat(), "temperature_c": 75}]},
         "temperature_c"),
        ({}, "either `temperatures` or `shift`"),
        ({"shift": {"start": "2001-01-01", "end": "2001-01-03", "delta_c": 5}}, "shift"),
    ]
    for body, field in cases:
        refused = http.post(url, json=body, headers=bearer(served.read))
        assert refused.status_code == 422 and field in refused.text, (body, refused.text)
        assert refused.json()["error"]["code"] == "invalid_input"
    tomorrow = date.today() + timedelta(days=1)
    shift = {"shift": {"start": tomorrow.isoformat(),
                       "end": (tomorrow + timedelta(days=2)).isoformat(), "delta_c": -10}}
    shifted = http.post(url, json=shift, headers=bearer(served.read))
    assert shifted.status_code == 200, shifted.text
    moved = [d for d in shifted.json()["days"] if d["changed"]]
    assert len(moved) == 3 and all(
        d["scenario"]["temperature_c"] == pytest.approx(d["baseline"]["temperature_c"] - 10)
        for d in moved)
    hidden = http.post(f"/v1/trusts/{b}/forecast/scenario", json=shift,
                       headers=bearer(served.read_a))
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
