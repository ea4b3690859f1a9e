"""The hour-by-hour forecast and the dashboard, over real HTTP from a real `aeforecast serve`,
on both backends; the dashboard also in a real headless browser (Debian's chromium)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import httpx
import pytest
from support import browser
from support.api_world import bearer
from support.database import BACKENDS
from support.e2e_world import AS_OF, SPRING_FORWARD, World, database, served_world
from support.paths import ARTIFACTS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    folder = tmp_path_factory.mktemp(f"hourly-{request.param}")
    postgres = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    with database(request.param, folder, postgres) as url, served_world(url, folder) as w:
        yield replace(w, backend=request.param)



def hourly(world: World, trust: str, day: date, key: str | None = None) -> httpx.Response:
    return httpx.get(
        f"{world.url}/v1/trusts/{trust}/forecast/hourly", params={"date": day.isoformat()},
        headers=bearer(key or world.read), timeout=10,
    )


def daily(world: World, trust: str, day: date) -> dict[str, float]:
    response = httpx.get(
        f"{world.url}/v1/trusts/{trust}/forecast", params={"start": day.isoformat(), "days": 1},
        headers=bearer(world.read), timeout=10,
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
        headers=bearer(world.read), timeout=10,
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


# --- the dashboard ------------------------------------------------------------------------------

DASHBOARD_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


@pytest.fixture(scope="module")
def thresholds(world: World) -> dict[str, int]:
    """Thresholds for trusts[0] set through the API (admin): amber a little under the busiest
    forecast day, red above it, so a few days are pinch points and most are not."""
    trust = world.trusts[0]
    forecast = httpx.get(
        f"{world.url}/v1/trusts/{trust}/forecast",
        params={"start": (AS_OF + timedelta(days=1)).isoformat(), "days": 42},
        headers=bearer(world.read), timeout=10,
    ).json()
    busiest = max(d["point"] for d in forecast["days"])
    wanted = {"amber": round(0.97 * busiest), "red": round(1.06 * busiest)}
    body = {"thresholds": [{"name": k, "attendances": v} for k, v in wanted.items()]}
    stored = httpx.put(f"{world.url}/v1/trusts/{trust}/thresholds", json=body,
                       headers=bearer(world.admin), timeout=10)
    assert stored.status_code == 200, stored.text
    return wanted


def test_dashboard_sign_in_keeps_the_key_in_a_strict_cookie_and_drops_the_token(
    world: World,
) -> None:
    with httpx.Client(base_url=world.url, timeout=10) as http:
        first = http.get("/dashboard", params={"token": world.read})
        assert first.status_code == 303 and first.headers["location"] == "/dashboard"
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"aef_dashboard={world.read};")
        for flag in ("HttpOnly", "Path=/dashboard", "SameSite=strict"):
            assert flag in cookie
        assert "Secure" not in cookie  # plain HTTP here
        behind_tls = http.get("/dashboard", params={"token": world.read},
                              headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in behind_tls.headers["set-cookie"]
        trust = world.trusts[0]
        kept = http.get(f"/dashboard/{trust}", params={"token": world.read, "threshold": 300})
        assert kept.headers["location"] == f"/dashboard/{trust}?threshold=300"
        listed = http.get("/dashboard")  # the client now sends the cookie
        assert listed.status_code == 200 and listed.headers["content-type"].startswith("text/html")
        assert listed.headers["content-security-policy"] == DASHBOARD_CSP
        for code in world.trusts:
            assert f"href='/dashboard/{code}'" in listed.text
        css = http.get("/dashboard/static/dashboard.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        out = http.get("/dashboard/logout")
        assert out.status_code == 303 and 'aef_dashboard=""' in out.headers["set-cookie"]
        assert http.get("/dashboard").status_code == 401


def test_dashboard_refuses_without_a_key_and_applies_the_keys_trusts(world: World) -> None:
    with httpx.Client(base_url=world.url, timeout=10) as http:
        nobody = http.get(f"/dashboard/{world.trusts[0]}")
        assert nobody.status_code == 401 and "/dashboard?token=" in nobody.text
        bad = http.get("/dashboard", params={"token": world.read[:-1] + "x"})
        assert bad.status_code == 401 and "set-cookie" not in bad.headers
        limited = {"Authorization": f"Bearer {world.read_a}"}  # a program may send the header
        listed = http.get("/dashboard", headers=limited).text
        assert f"/dashboard/{world.trusts[0]}'" in listed
        assert f"/dashboard/{world.trusts[1]}'" not in listed
        own = http.get(f"/dashboard/{world.trusts[0]}", headers=limited)
        assert own.status_code == 200 and "<svg" in own.text
        hidden = http.get(f"/dashboard/{world.trusts[1]}", headers=limited)
        unknown = http.get("/dashboard/ZZZ9", headers=limited)
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.text.replace(world.trusts[1], "?") == unknown.text.replace("ZZZ9", "?")


def test_dashboard_in_a_real_browser_shows_the_served_numbers(
    world: World, thresholds: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    trust = world.trusts[0]
    first = AS_OF + timedelta(days=1)
    api = {
        name: httpx.get(
            f"{world.url}/v1/trusts/{trust}/forecast",
            params={"start": first.isoformat(), "days": 42, "threshold": level,
                    "include": "drivers"},
            headers=bearer(world.read), timeout=10,
        ).json()["days"]
        for name, level in thresholds.items()
    }
    shot = ARTIFACTS / f"dashboard-{world.backend}.png"
    loaded = browser.load(f"{world.url}/dashboard/{trust}?token={world.read_a}", shot)
    with capsys.disabled():
        print(f"\ndashboard screenshot: {shot}")
    dom = Dom.parse(loaded.dom)
    assert dom.text_of("h1") == f"{trust}: A&E attendances"  # signed in, not the sign-in page
    rows = dom.all("tr", "data-date")
    assert [r["data-date"] for r in rows] == [d["date"] for d in api["amber"]]
    for row, day in zip(rows, api["amber"], strict=True):
        for field in ("point", "lo80", "hi80", "lo95", "hi95"):
            assert float(row[f"data-{field}"]) == day[field], (day["date"], field)
    cells = dom.all("td", "data-threshold")
    assert len(cells) == 2 * 42
    for cell, day_amber in zip(cells[::2], api["amber"], strict=True):
        assert cell["data-threshold"] == "amber"
        assert float(cell["data-p"]) == pytest.approx(day_amber["p_exceed"], abs=1.1e-4)
    for cell, day_red in zip(cells[1::2], api["red"], strict=True):
        assert float(cell["data-p"]) == pytest.approx(day_red["p_exceed"], abs=1.1e-4)
    pinch = [d["date"] for d, r in zip(api["amber"], api["red"], strict=True)
             if max(d["p_exceed"], r["p_exceed"]) >= 0.2]
    assert 0 < len(pinch) < 21
    assert [r["data-date"] for r in rows if "pinch" in r.get("class", "")] == pinch
    assert [r["data-date"] for r in dom.all("rect", "data-date") if r["class"] == "pinch"] == pinch
    targets = [r for r in dom.all("rect", "data-date") if r["class"] == "day"]
    assert [float(t["data-point"]) for t in targets] == [d["point"] for d in api["amber"]]
    labels = [i["label"] for i in api["amber"][0]["drivers"]
              if i["driver"] == "recent_level" or abs(i["attendances"]) >= 0.5]
    assert dom.texts_in_row(api["amber"][0]["date"], "b") == labels
    accuracy = dom.all("tr", "data-horizons")
    assert accuracy and accuracy[0]["data-horizons"] == "1–7"
    assert len(dom.all("tr", "data-hour")) == 24
    image = browser.read_png(shot, rows=900)
    assert image.width == 1280
    header = image.pixel(10, 10)  # #005eb8: the stylesheet loaded under the CSP
    assert all(abs(a - b) <= 4 for a, b in zip(header, (0, 94, 184), strict=True)), header
    chart = image.pixels[300:900].astype(int)
    band = (chart[:, :, 2] > chart[:, :, 0] + 30) & (chart[:, :, 0] > 120)
    highlighted = (chart[:, :, 0] > chart[:, :, 2] + 40) & (chart[:, :, 1] > 150)
    assert band.sum() > 5000 and highlighted.sum() > 1000  # the bands and the pinch days


def test_a_browser_without_the_key_sees_the_sign_in_page(world: World) -> None:
    loaded = browser.load(f"{world.url}/dashboard/{world.trusts[0]}",
                          ARTIFACTS / f"dashboard-signed-out-{world.backend}.png", height=600)
    assert "<h1>Sign in</h1>" in loaded.dom and "<svg" not in loaded.dom


class Dom(HTMLParser):
    """The elements of a dumped DOM with their attributes and text, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[int] = []

    @classmethod
    def parse(cls, text: str) -> Dom:
        dom = cls()
        dom.feed(text)
        return dom

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}, []))
        if tag not in ("meta", "link", "br", "img", "input", "line", "circle", "polygon",
                       "polyline"):
            self._open.append(len(self.elements) - 1)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self.elements[self._open.pop()][0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for index in self._open:
            self.elements[index][2].append(data)

    def all(self, tag: str, attribute: str) -> list[dict[str, str]]:
        return [a for t, a, _ in self.elements if t == tag and attribute in a]

    def text_of(self, tag: str) -> str:
        return next("".join(text) for t, _, text in self.elements if t == tag)

    def texts_in_row(self, day: str, tag: str) -> list[str]:
        """The texts of `tag` elements inside the table row of `day`."""
        start = next(i for i, (t, a, _) in enumerate(self.elements)
                     if t == "tr" and a.get("data-date") == day)
        end = next(i for i in range(start + 1, len(self.elements)) if self.elements[i][0] == "tr")
        return ["".join(text) for t, _, text in self.elements[start:end] if t == tag]
