"""The hour-by-hour forecast over real HTTP from a real `aeforecast serve`, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import httpx
import pytest
from conftest import BACKENDS
from e2e_world import AS_OF, SPRING_FORWARD, World, database, served_world

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    folder = tmp_path_factory.mktemp(f"hourly-{request.param}")
    postgres = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    with database(request.param, folder, postgres) as url, served_world(url, folder, folder) as w:
        yield w


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def hourly(world: World, trust: str, day: date, key: str | None = None) -> httpx.Response:
    return httpx.get(
        f"{world.url}/v1/trusts/{trust}/forecast/hourly", params={"date": day.isoformat()},
        headers=auth(key or world.read), timeout=10,
    )


def daily(world: World, trust: str, day: date) -> dict[str, float]:
    response = httpx.get(
        f"{world.url}/v1/trusts/{trust}/forecast", params={"start": day.isoformat(), "days": 1},
        headers=auth(world.read), timeout=10,
    )
    assert response.status_code == 200, response.text
    day_: dict[str, float] = response.json()["days"][0]
    return day_


def test_a_trust_with_hourly_arrivals_gets_its_own_profile(world: World) -> None:
    day = AS_OF + timedelta(days=3)  # a Monday
    trust = world.trusts[0]
    response = hourly(world, trust, day)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["run_id"] == world.run_id and body["date"] == day.isoformat()
    assert body["timezone"] == "Europe/London"
    assert body["profile"]["source"] == "trust" and body["profile"]["complete_days"] == 48
    profile = body["profile"]  # the last 12 weeks of the sample: autumn 2018 only
    assert (profile["data_from"], profile["data_to"]) == ("2018-10-01", "2018-11-18")
    totals = daily(world, trust, day)
    assert body["day"] == {k: totals[k] for k in ("point", "lo80", "hi80", "lo95", "hi95")}
    hours = body["hours"]
    assert len(hours) == 24 and [h["local_hour"] for h in hours] == list(range(24))
    assert sum(h["point"] for h in hours) == pytest.approx(totals["point"], abs=0.05)
    assert sum(h["share"] for h in hours) == pytest.approx(1, abs=1e-3)
    for h in hours:
        assert h["lo95"] <= h["lo80"] <= h["point"] <= h["hi80"] <= h["hi95"], h
    assert hours[0]["hour_start_utc"] == f"{day.isoformat()}T00:00:00Z"
    night, noon = hours[4]["point"], hours[12]["point"]
    assert noon > 3 * night


def test_a_trust_without_hourly_arrivals_gets_the_default_profile(world: World) -> None:
    body = hourly(world, world.trusts[1], AS_OF + timedelta(days=3)).json()
    assert body["profile"] == {
        "source": "default", "complete_days": 0, "weight": 0.0, "data_from": None,
        "data_to": None,
    }
    assert len(body["hours"]) == 24


def test_the_spring_clock_change_day_has_23_hours_in_local_time(world: World) -> None:
    body = hourly(world, world.trusts[0], SPRING_FORWARD).json()
    hours = body["hours"]
    assert len(hours) == 23
    assert [h["local_hour"] for h in hours][:3] == [0, 2, 3]
    assert datetime.fromisoformat(hours[1]["local_start"]).utcoffset() == timedelta(hours=1)
    assert hours[1]["hour_start_utc"] == f"{SPRING_FORWARD.isoformat()}T01:00:00Z"
    assert sum(h["point"] for h in hours) == pytest.approx(body["day"]["point"], abs=0.05)


def test_days_outside_the_run_unknown_trusts_and_bad_keys_are_refused(world: World) -> None:
    outside = hourly(world, world.trusts[0], AS_OF)  # the run starts the day after
    assert outside.status_code == 422 and "from 2026-03-21" in outside.json()["error"]["message"]
    malformed = httpx.get(
        f"{world.url}/v1/trusts/{world.trusts[0]}/forecast/hourly", params={"date": "March"},
        headers=auth(world.read), timeout=10,
    )
    assert malformed.status_code == 422
    day = AS_OF + timedelta(days=1)
    hidden = hourly(world, world.trusts[1], day, key=world.read_a)
    unknown = hourly(world, "ZZZ9", day, key=world.read_a)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == {"error": {"code": "not_found", "message": "no trust '" +
                                       world.trusts[1] + "'"}}
    no_key = httpx.get(f"{world.url}/v1/trusts/{world.trusts[0]}/forecast/hourly", timeout=10)
    assert no_key.status_code == 401
