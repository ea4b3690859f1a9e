"""Thresholds, p_exceed, drivers and alerts through the API in process, on both backends.

The run is stored with the batch's own run store (drivers included), so no model is fitted;
`test_insights_e2e.py` exercises the same features over real HTTP after a real batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from support.api_world import HORIZON, TODAY, TOMORROW, TRUSTS, bearer, ingest_history, make_client

from forecast.exceedance import prob_exceed
from store import Store
from store.keys import create_key
from store.run_log import RunLog, RunRows

from fastapi.testclient import TestClient  # isort: skip  (test_api silenced its warning)


@pytest.fixture
def client(database_url: str, store: Store) -> Iterator[TestClient]:
    del store
    with make_client(database_url) as opened:
        yield opened


def store_run_with_drivers(store: Store) -> str:
    """RXX: point 300 + h, drivers recent level 280, weekday 15, temperature h + 5."""
    run_id = RunLog(store).begin(as_of=TODAY, horizon=HORIZON, model="ensemble", fingerprint="x")
    days = [TODAY + timedelta(days=h) for h in range(1, HORIZON + 1)]
    points = [300.0 + h for h in range(1, HORIZON + 1)]
    forecasts = pl.DataFrame({
        "trust_code": [c for c in TRUSTS for _ in days], "date": days * len(TRUSTS),
        "horizon": list(range(1, HORIZON + 1)) * len(TRUSTS), "point": points * len(TRUSTS),
    }).with_columns(lo80=pl.col("point") - 20, hi80=pl.col("point") + 20,
                    lo95=pl.col("point") - 35, hi95=pl.col("point") + 35)
    trusts = pl.DataFrame({"trust_code": TRUSTS, "model": "ensemble", "model_version": "v1",
                           "status": "ok", "reason": None})
    drivers = pl.DataFrame({"trust_code": "RXX", "date": days, "recent_level": 280.0,
                            "weekday": 15.0, "temperature": [p - 295.0 for p in points]})
    drivers = drivers.with_columns(*[pl.lit(None, dtype=pl.Float64).alias(f) for f in (
        "season", "bank_holiday", "trend", "flu_momentum")], other=pl.lit(0.004))
    RunLog(store).complete(run_id, RunRows(forecasts, trusts, drivers), {})
    return run_id


@pytest.fixture
def run(store: Store) -> str:
    ingest_history(store, TRUSTS)
    return store_run_with_drivers(store)


@pytest.fixture
def admin(store: Store) -> str:
    return create_key(store, "admin", "admin").token


@pytest.fixture
def read(store: Store) -> str:
    return create_key(store, "reader", "read").token


@pytest.mark.usefixtures("run")
def test_thresholds_are_read_with_read_and_replaced_with_admin(
    client: TestClient, store: Store, admin: str, read: str
) -> None:
    url = "/v1/trusts/RXX/thresholds"
    assert client.get(url, headers=bearer(read)).json() == {"trust_code": "RXX", "thresholds": []}
    body = {"thresholds": [{"name": "red", "attendances": 330},
                           {"name": "amber", "attendances": 310}]}
    write = create_key(store, "writer", "write").token
    for key in (read, write):
        denied = client.put(url, json=body, headers=bearer(key))
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    stored = client.put(url, json=body, headers=bearer(admin))
    assert stored.status_code == 200, stored.text
    listed = client.get(url, headers=bearer(read)).json()["thresholds"]
    assert [(t["name"], t["attendances"], t["source"]) for t in listed] == [
        ("amber", 310, "api"), ("red", 330, "api")]
    cleared = client.put(url, json={"thresholds": []}, headers=bearer(admin))
    assert cleared.json()["thresholds"] == []


@pytest.mark.usefixtures("run")
@pytest.mark.parametrize(("body", "field"), [
    ({"thresholds": [{"name": "red", "attendances": -1}]}, "attendances"),
    ({"thresholds": [{"name": "red", "attendances": 3.5}]}, "attendances"),
    ({"thresholds": [{"name": "", "attendances": 3}]}, "name"),
    ({"thresholds": [{"name": "red", "attendances": 3}, {"name": "red", "attendances": 4}]},
     "appears twice"),
    ({}, "thresholds"),
])
def test_bad_thresholds_are_refused_naming_the_field(
    client: TestClient, admin: str, read: str, body: dict[str, object], field: str
) -> None:
    refused = client.put("/v1/trusts/RXX/thresholds", json=body, headers=bearer(admin))
    assert refused.status_code == 422 and field in refused.text, refused.text
    assert client.get("/v1/trusts/RXX/thresholds", headers=bearer(read)).json()["thresholds"] == []


@pytest.mark.usefixtures("run")
def test_other_trusts_are_the_same_404(client: TestClient, store: Store) -> None:
    admin_rxx = create_key(store, "RXX admin", "admin", ["RXX"]).token
    body = {"thresholds": [{"name": "red", "attendances": 330}]}
    for path in ("/v1/trusts/R1H/thresholds", "/v1/trusts/ZZZ9/thresholds"):
        assert client.put(path, json=body, headers=bearer(admin_rxx)).status_code == 404
    for path in ("/v1/trusts/R1H/alerts", "/v1/trusts/ZZZ9/alerts",
                 "/v1/trusts/R1H/forecast?threshold=300"):
        response = client.get(path, headers=bearer(admin_rxx))
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.usefixtures("run")
def test_p_exceed_per_day_from_the_served_quantiles(client: TestClient, read: str) -> None:
    plain = client.get("/v1/trusts/RXX/forecast", headers=bearer(read))
    asked = client.get("/v1/trusts/RXX/forecast?threshold=310", headers=bearer(read))
    assert asked.status_code == 200 and asked.headers["etag"] != plain.headers["etag"]
    body = asked.json()
    assert body["threshold"] == 310 and body["run_id"] == plain.json()["run_id"]
    days = body["days"]
    knots = np.array([[d["lo95"], d["lo80"], d["point"], d["hi80"], d["hi95"]] for d in days])
    assert [d["p_exceed"] for d in days] == pytest.approx(prob_exceed(knots, 310.0), abs=1e-4)
    assert days[9]["p_exceed"] == pytest.approx(0.5)  # point 310 on day 10
    assert all(a["p_exceed"] < b["p_exceed"] for a, b in zip(days, days[1:], strict=False))
    csv = client.get("/v1/trusts/RXX/forecast?threshold=310&format=csv", headers=bearer(read))
    lines = csv.text.strip().splitlines()
    assert lines[0].endswith(",p_exceed,data_to,stale") and len(lines) == 15
    assert float(lines[10].split(",")[-3]) == pytest.approx(0.5)
    again = client.get("/v1/trusts/RXX/forecast?threshold=310",
                       headers={**bearer(read), "If-None-Match": asked.headers["etag"]})
    assert again.status_code == 304
    for bad in ("-1", "abc", "100001"):
        refused = client.get(f"/v1/trusts/RXX/forecast?threshold={bad}", headers=bearer(read))
        assert refused.status_code == 422 and "threshold" in refused.text


@pytest.mark.usefixtures("run")
def test_drivers_add_up_to_the_point_with_words(client: TestClient, read: str) -> None:
    body = client.get("/v1/trusts/RXX/forecast?include=drivers&days=42",
                      headers=bearer(read)).json()
    for day in body["days"]:
        drivers = {d["driver"]: d for d in day["drivers"]}
        assert set(drivers) == {"recent_level", "weekday", "temperature", "other"}
        assert round(sum(d["attendances"] for d in day["drivers"]), 2) == day["point"]
        assert drivers["weekday"]["label"] == "Day of the week"
        assert "adds 15 attendances" in drivers["weekday"]["explanation"]
    without = client.get("/v1/trusts/R1H/forecast?include=drivers", headers=bearer(read)).json()
    assert [d["driver"] for d in without["days"][0]["drivers"]] == ["other"]
    bad = client.get("/v1/trusts/RXX/forecast?include=everything", headers=bearer(read))
    assert bad.status_code == 422 and "include" in bad.text
    csv = client.get("/v1/trusts/RXX/forecast?include=drivers&format=csv", headers=bearer(read))
    assert "driver_weekday" in csv.text.splitlines()[0]


@pytest.mark.usefixtures("run")
def test_alerts_list_days_over_the_level_with_a_reason(
    client: TestClient, admin: str, read: str
) -> None:
    empty = client.get("/v1/trusts/RXX/alerts", headers=bearer(read)).json()
    assert empty["alerts"] == [] and "no capacity thresholds" in empty["note"]
    client.put("/v1/trusts/RXX/thresholds", json={"thresholds": [
        {"name": "amber", "attendances": 305}, {"name": "red", "attendances": 330}]},
        headers=bearer(admin))
    body = client.get("/v1/trusts/RXX/alerts?level=0.3&days=42", headers=bearer(read)).json()
    assert body["level"] == 0.3 and body["first_date"] == TOMORROW.isoformat()
    alerts = body["alerts"]
    assert alerts and all(a["p_exceed"] >= 0.3 for a in alerts)
    amber = [a for a in alerts if a["threshold"]["name"] == "amber"]
    assert amber[0]["date"] == (TODAY + timedelta(days=1)).isoformat()  # 301 vs 305: p ~ 0.42
    red = [a for a in alerts if a["threshold"]["name"] == "red"]
    assert red and red[0]["point"] >= 320  # day 20 onwards
    assert "pushed up by" in red[0]["reason"] and "temperature" in red[0]["reason"]
    assert len(amber) + len(red) == len(alerts)
    ad_hoc = client.get("/v1/trusts/RXX/alerts?threshold=1000", headers=bearer(read)).json()
    assert ad_hoc["alerts"] == [] and ad_hoc["thresholds"] == [{"name": "1000",
                                                                "attendances": 1000}]
    for query, field in (("level=0", "level"), ("level=1.5", "level"),
                         ("start=2000-01-01", "start"), ("days=0", "days")):
        refused = client.get(f"/v1/trusts/RXX/alerts?{query}", headers=bearer(read))
        assert refused.status_code == 422 and field in refused.text, query


@pytest.mark.usefixtures("run")
def test_a_scenario_without_the_served_artefact_says_so(client: TestClient, read: str) -> None:
    """The run cites model version v1, which no AEF_MODEL_DIR holds here: the answer is the
    baseline, marked as not computed, never a made-up difference."""
    body = {"temperatures": [{"date": TOMORROW.isoformat(), "temperature_c": 30}]}
    response = client.post("/v1/trusts/RXX/forecast/scenario", json=body, headers=bearer(read))
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["computed"] is False and "AEF_MODEL_DIR" in result["note"]
    assert len(result["days"]) == HORIZON
    assert all(d["difference"] == 0 and d["baseline"] == d["scenario"] for d in result["days"])
    both = {**body, "shift": {"start": TOMORROW.isoformat(), "end": TOMORROW.isoformat(),
                              "delta_c": 3}}
    for bad, field in ((both, "not both"), ({"temperatures": []}, "temperatures"),
                       ({"shift": {"start": TOMORROW.isoformat(), "end": TODAY.isoformat(),
                                   "delta_c": 3}}, "shift.end")):
        refused = client.post("/v1/trusts/RXX/forecast/scenario", json=bad, headers=bearer(read))
        assert refused.status_code == 422 and field in refused.text, refused.text


@pytest.mark.usefixtures("run")
def test_a_shift_over_millennia_is_refused_by_its_ends(client: TestClient, read: str) -> None:
    """Any read key could once make the what-if build 3.65 million dates before refusing a
    shift of 0001-01-01 to 9999-12-31; its ends are checked against the window first."""
    first = TOMORROW.isoformat()
    for shift, field in (({"start": "0001-01-01", "end": "9999-12-31"}, "shift.start"),
                         ({"start": first, "end": "9999-12-31"}, "shift.end")):
        body = {"shift": {**shift, "delta_c": 1}}
        refused = client.post("/v1/trusts/RXX/forecast/scenario", json=body, headers=bearer(read))
        assert refused.status_code == 422, refused.text
        message = refused.json()["error"]["message"]
        assert message.startswith(f"{field}: ") and "outside the forecast window" in message


@pytest.mark.usefixtures("run")
def test_what_ifs_beyond_the_slots_are_turned_away_not_queued_for_ever(
    client: TestClient, read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each what-if re-runs the model: at most AT_ONCE per process, the rest wait briefly and
    get 429, so a burst never takes every thread the other routes need (issue 25 item 1)."""
    from api.routes import scenario

    monkeypatch.setattr(scenario, "WAIT_SECONDS", 0.2)
    body = {"temperatures": [{"date": TOMORROW.isoformat(), "temperature_c": 30}]}
    slots = client.app.state.scenario_slots  # type: ignore[attr-defined]
    for _ in range(scenario.AT_ONCE):
        assert slots.acquire(timeout=1)  # every slot busy with another what-if
    try:
        busy = client.post("/v1/trusts/RXX/forecast/scenario", json=body, headers=bearer(read))
        assert busy.status_code == 429 and busy.headers["retry-after"] == "2", busy.text
        assert "too many what-if requests at once" in busy.json()["error"]["message"]
        assert client.get("/v1/trusts/RXX/forecast", headers=bearer(read)).status_code == 200
    finally:
        for _ in range(scenario.AT_ONCE):
            slots.release()
    assert client.post("/v1/trusts/RXX/forecast/scenario", json=body,
                       headers=bearer(read)).status_code == 200
