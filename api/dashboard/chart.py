"""The dashboard's two charts, inline SVG drawn by forecast.report.charts (no script, no fetch).

The forecast chart: eight weeks of actuals, the forecast with its 80% and 95% bands, the trust's
thresholds as dashed lines, pinch-point days shaded, and over each forecast day a transparent
target whose <title> the browser shows on hover (numbers and drivers) and which links to the
day's row in the table (a click).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from html import escape

from api.dashboard.data import DayRow, HourlyView, TrustPage
from forecast.report.charts import Band, Chart, Frame, Series, render

ACTUAL, FORECAST, PINCH = "#222222", "#1f5fa8", "#f0a030"
XOf = Callable[[date], float]  # a day's x position on the chart
THRESHOLD_COLOURS = ["#c77c00", "#c62828", "#7b1fa2", "#6d4c41"]


def forecast_chart(page: TrustPage) -> str:
    if not page.days:
        return ""
    start = min([page.days[0].day - timedelta(days=1), *(d for d, _ in page.actuals)])

    def x(day: date) -> float:
        return float((day - start).days)

    days = page.days
    xs = [x(d.day) for d in days]
    series = [
        Series("Actual", [x(d) for d, _ in page.actuals], [float(a) for _, a in page.actuals],
               ACTUAL),
        Series("Actual", [x(d) for d, _ in page.actuals], [float(a) for _, a in page.actuals],
               ACTUAL, dots=True),
        Series("Forecast", xs, [d.values["point"] for d in days], FORECAST),
    ]
    for i, threshold in enumerate(page.thresholds):
        colour = THRESHOLD_COLOURS[i % len(THRESHOLD_COLOURS)]
        level = float(threshold.attendances)
        series.append(Series(f"{threshold.name} ({threshold.attendances})", [xs[0], xs[-1]],
                             [level, level], colour, dashed=True))
    bands = [
        Band(xs, [d.values["lo95"] for d in days], [d.values["hi95"] for d in days], FORECAST,
             0.12),
        Band(xs, [d.values["lo80"] for d in days], [d.values["hi80"] for d in days], FORECAST,
             0.22),
    ]
    last = max(xs[-1], x(page.actuals[-1][0]) if page.actuals else xs[-1])
    ticks = [float(t) for t in range((_first_monday(start) - start).days, int(last) + 1, 7)]
    chart = Chart(
        title=f"{page.trust_code}: daily attendances, forecast from {days[0].day:%d %b %Y}",
        series=series, bands=bands, y_title="attendances a day", width=1000, height=360,
        x_ticks=ticks, x_label=lambda v: f"{start + timedelta(days=int(v)):%d %b}",
        underlay=lambda frame: _pinch_days(frame, days, x),
        overlay=lambda frame: _hover_targets(frame, days, x, page.as_of),
    )
    return render(chart)


def hourly_chart(view: HourlyView) -> str:
    xs = [float(i) for i in range(len(view.hours))]
    chart = Chart(
        title=f"{view.day:%A %d %b %Y}, hour by hour (UK time)",
        series=[Series("Forecast", xs, [h.point for h in view.hours], FORECAST)],
        bands=[
            Band(xs, [float(h.lo95) for h in view.hours], [float(h.hi95) for h in view.hours],
                 FORECAST, 0.12),
            Band(xs, [float(h.lo80) for h in view.hours], [float(h.hi80) for h in view.hours],
                 FORECAST, 0.22),
        ],
        x_ticks=[float(i) for i in range(0, len(xs), 3)],
        x_label=lambda v: f"{view.hours[int(v)].local_start:%H:%M}",
        y_title="arrivals an hour", y_min=0, width=1000, height=240,
    )
    return render(chart)


def _first_monday(start: date) -> date:
    return start + timedelta(days=(7 - start.weekday()) % 7)


def _pinch_days(frame: Frame, days: Sequence[DayRow], x: XOf) -> list[str]:
    out = []
    for d in days:
        if d.pinch is None:
            continue
        left, right = frame.sx(x(d.day) - 0.5), frame.sx(x(d.day) + 0.5)
        out.append(
            f"<rect class='pinch' data-date='{d.day.isoformat()}' x='{left:.1f}' "
            f"y='{frame.top:.1f}' width='{right - left:.1f}' "
            f"height='{frame.bottom - frame.top:.1f}' fill='{PINCH}' fill-opacity='0.28'/>"
        )
    return out


def _hover_targets(frame: Frame, days: Sequence[DayRow], x: XOf, as_of: date) -> list[str]:
    at = frame.sx(x(as_of) + 0.5)
    out = [
        f"<line class='asof' x1='{at:.1f}' x2='{at:.1f}' y1='{frame.top:.1f}' "
        f"y2='{frame.bottom:.1f}' stroke='#888' stroke-dasharray='3 3'/>"
    ]
    for d in days:
        left, right = frame.sx(x(d.day) - 0.5), frame.sx(x(d.day) + 0.5)
        out.append(
            f"<a href='#d-{d.day.isoformat()}'><rect class='day' data-date='{d.day.isoformat()}' "
            f"data-point='{d.values['point']}' x='{left:.1f}' y='{frame.top:.1f}' "
            f"width='{right - left:.1f}' height='{frame.bottom - frame.top:.1f}' fill='#000' "
            f"fill-opacity='0'><title>{escape(day_summary(d))}</title></rect></a>"
        )
    return out


def day_summary(d: DayRow) -> str:
    """The hover text: the day's numbers, exceedance and drivers, one per line."""
    v = d.values
    lines = [
        f"{d.day:%a %d %b %Y} (day {d.horizon} ahead)",
        f"Forecast {v['point']:.0f}; 80% {v['lo80']:.0f}–{v['hi80']:.0f}; "
        f"95% {v['lo95']:.0f}–{v['hi95']:.0f}",
    ]
    if d.actual is not None:
        lines.append(f"Actual {d.actual}")
    lines += [f"P(over {name}) {p:.0%}" for name, p in d.p_exceed.items()]
    lines += [
        f"{item['label']}: {item['attendances']:+.0f}" for item in d.drivers
        if item["driver"] == "recent_level" or abs(item["attendances"]) >= 0.5
    ]
    return "\n".join(lines)
