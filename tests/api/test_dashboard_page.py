"""The dashboard's pieces without a server: live accuracy by band, and the page's words for the
cases the end-to-end world does not reach (no thresholds, no actuals, hostile names)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from api.dashboard.chart import forecast_chart
from api.dashboard.data import DayRow, TrustPage, accuracy_rows
from api.dashboard.page import trust_page
from store.runs import LIVE_ACCURACY_SCHEMA
from store.thresholds import Threshold

AS_OF = date(2026, 3, 20)


def live(rows: list[tuple[int, int, float | None, bool]]) -> pl.DataFrame:
    now = datetime(2026, 3, 28, tzinfo=UTC)
    return pl.DataFrame(
        [("RXX", h, AS_OF, AS_OF, n, mae, 0.8, 0.95, 10.0, "holdout", drift, now)
         for h, n, mae, drift in rows],
        schema=LIVE_ACCURACY_SCHEMA, orient="row",
    )


def test_live_accuracy_is_summed_into_horizon_bands_weighted_by_days_scored() -> None:
    rows = accuracy_rows(live([(1, 3, 10.0, False), (2, 1, 20.0, False), (9, 2, None, True),
                               (30, 0, 5.0, False)]))
    assert [r.horizons for r in rows] == ["1–7", "8–14"]  # a band with no days scored is left out
    first, second = rows
    assert first.n == 4 and first.mae == 12.5 and not first.drift
    assert second.mae is None and second.drift


def page(thresholds: list[Threshold], accuracy: bool = True) -> TrustPage:
    days = []
    for i in range(14):
        day = AS_OF + timedelta(days=i + 1)
        point = 300.0 + (40 if day.weekday() == 0 else 0)
        p = {t.name: (0.6 if point > t.attendances else 0.01) for t in thresholds}
        pinch = max((t for t in thresholds if p[t.name] >= 0.2), key=lambda t: t.attendances,
                    default=None)
        values = {"point": point, "lo80": point - 30, "hi80": point + 30, "lo95": point - 45,
                  "hi95": point + 45}
        drivers = [{"driver": "recent_level", "label": "Recent level", "attendances": 300.0,
                    "explanation": "300 a day: <the trust's typical day>."}]
        days.append(DayRow(day, i + 1, values, p, pinch, drivers, None))
    return TrustPage(
        trust_code="RXX", run_id="run-1", as_of=AS_OF, generated_at="2026-03-21T02:00:00Z",
        model="ensemble", model_version="v1", status="ok", days=days,
        actuals=[(AS_OF - timedelta(days=k), 290) for k in range(10, 0, -1)],
        thresholds=thresholds,
        accuracy=accuracy_rows(live([(1, 5, 12.0, False)])) if accuracy else [],
    )


def test_without_thresholds_the_page_says_how_to_set_them_and_marks_nothing() -> None:
    html = trust_page(page([], accuracy=False))
    assert "No capacity thresholds are set for RXX" in html
    assert "PUT /v1/trusts/RXX/thresholds" in html and "?threshold=N" in html
    assert "class='pinch'" not in html
    assert "No actuals have arrived yet" in html


def test_pinch_days_are_shaded_listed_and_marked_in_the_table() -> None:
    thresholds = [Threshold("amber", 320), Threshold("red <script>", 400)]
    html = trust_page(page(thresholds))
    mondays = [AS_OF + timedelta(days=i + 1) for i in range(14)
               if (AS_OF + timedelta(days=i + 1)).weekday() == 0]
    assert html.count("<rect class='pinch'") == len(mondays) == 2
    assert "<strong>2 pinch points</strong>" in html
    assert "<script>" not in html and "red &lt;script&gt;" in html  # names are escaped
    assert "&lt;the trust&#x27;s typical day&gt;" in html
    for monday in mondays:
        assert f"<tr id='d-{monday.isoformat()}' data-date='{monday.isoformat()}'" in html


def test_the_chart_has_one_hover_target_per_forecast_day_with_its_numbers() -> None:
    svg = forecast_chart(page([Threshold("amber", 320)]))
    assert svg.count("<rect class='day'") == 14
    assert "Forecast 340; 80% 310–370; 95% 295–385" in svg  # a Monday's hover text
    assert "P(over amber) 60%" in svg
