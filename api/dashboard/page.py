"""The dashboard's HTML: plain server-rendered pages, every value escaped, no script.

Numbers a test (or a curious person) can check carry data attributes: each day's row in the
table has `data-date`, `data-point`, `data-lo80`, `data-hi80`, `data-lo95`, `data-hi95`, the
exceedance cells `data-threshold` and `data-p`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from html import escape
from urllib.parse import urlencode

from api.dashboard.chart import forecast_chart, hourly_chart
from api.dashboard.data import AccuracyRow, DayRow, HourlyView, TrustPage
from store.served import DAY_FIELDS

STYLESHEET = "/dashboard/static/dashboard.css"
LISTED = 8  # pinch points named in the summary line; the table marks them all


def document(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><link rel='stylesheet' href='{STYLESHEET}'></head>"
        f"<body>{body}</body></html>"
    )


def message_page(title: str, text: str) -> str:
    body = (
        f"<main class='narrow'><h1>{escape(title)}</h1><p>{escape(text)}</p>"
        "<p class='muted'>Open the dashboard with your read key once: "
        "<code>/dashboard?token=YOUR_KEY</code>. The key is then kept for this browser "
        "session only (<a href='/dashboard/logout'>sign out</a>).</p></main>"
    )
    return document(title, body)


def trust_list(rows: Sequence[tuple[str, str | None, str | None, date | None, bool]]) -> str:
    """rows: (trust code, as-of date, model, data to, stale) for every trust the key may see."""
    items = "".join(
        f"<tr><td><a href='/dashboard/{escape(code)}'>{escape(code)}</a></td>"
        f"<td>{escape(as_of or 'no forecast yet')}</td><td>{escape(model or '')}</td>"
        f"<td>{_data_cell(data_to, stale)}</td></tr>"
        for code, as_of, model, data_to, stale in rows
    )
    body = (
        f"{_nav()}<main><h1>A&amp;E attendance forecasts</h1>"
        f"<p class='muted'>{len(rows)} trust{'s' if len(rows) != 1 else ''} this key may see.</p>"
        "<table class='trusts'><thead><tr><th>Trust</th><th>Forecast as of</th><th>Model</th>"
        f"<th>Data to</th></tr></thead><tbody>{items}</tbody></table></main>"
    )
    return document("A&E forecasts", body)


def _data_cell(data_to: date | None, stale: bool) -> str:
    if data_to is None:
        return ""
    if stale:
        return f"<strong class='stale-text'>stale: ends {escape(stale_words(data_to))}</strong>"
    return f"{data_to:%a %d %b %Y}"


def trust_page(page: TrustPage) -> str:
    body = "".join([
        _nav(page.trust_code),
        "<main>",
        f"<h1>{escape(page.trust_code)}: A&amp;E attendances</h1>",
        _stale_warning(page),
        _run_line(page),
        _cards(page),
        _pinch_summary(page),
        f"<figure class='chart'>{forecast_chart(page)}<figcaption>Dots: actual attendances. "
        "Line: forecast; shaded: its 80% (darker) and 95% ranges. Orange days are pinch "
        "points. Hover over a day for its numbers and drivers; click it for its row below."
        "</figcaption></figure>",
        _days_table(page),
        _hourly(page.hourly) if page.hourly is not None else "",
        _accuracy(page.accuracy),
        "</main>",
    ])
    return document(f"{page.trust_code} forecast", body)


def _nav(code: str | None = None) -> str:
    here = f" › {escape(code)}" if code else ""
    return (
        f"<header><a href='/dashboard'>A&amp;E forecasts</a>{here}"
        "<a class='signout' href='/dashboard/logout'>Sign out</a></header>"
    )


def _run_line(page: TrustPage) -> str:
    version = f" {escape(page.model_version)}" if page.model_version else ""
    fallback = " <strong>(fallback model)</strong>" if page.status != "ok" else ""
    data_to = page.data_to or page.as_of
    return (
        f"<p class='muted'>Forecast run <code>{escape(page.run_id)}</code>, data to "
        f"{data_to:%a %d %b %Y}, made {_stamp(page.generated_at)}; model "
        f"{escape(page.model)}{version}{fallback}.</p>"
    )


def _stale_warning(page: TrustPage) -> str:
    if not page.stale or page.data_to is None:
        return ""
    return (
        "<p class='stale' role='alert'><strong>Stale data: do not plan on this as current."
        f"</strong> The data for {escape(page.trust_code)} ends {stale_words(page.data_to)}. "
        "This forecast was made from it and does not show recent demand: ingest newer data "
        "and run the batch.</p>"
    )


def stale_words(data_to: date, today: date | None = None) -> str:
    """'Mon 06 Oct 2026, 62 days ago'."""
    days = ((today or date.today()) - data_to).days
    return f"{data_to:%a %d %b %Y}, {days} day{'s' if days != 1 else ''} ago"


def _cards(page: TrustPage) -> str:
    days = page.days
    if not days:
        return ""
    first, week = days[0], days[:7]
    busiest = max(days, key=lambda d: d.values["point"])
    total = sum(d.values["point"] for d in week)
    pinch = sum(1 for d in days if d.pinch is not None)
    near = next((a for a in page.accuracy if a.horizons.startswith("1")), None)
    live = "no actuals yet" if near is None or near.mae is None else f"MAE {near.mae:.1f}"
    cards = [
        (f"{first.day:%a %d %b}", f"{first.values['point']:.0f}",
         f"80%: {first.values['lo80']:.0f}–{first.values['hi80']:.0f}"),
        (f"Next {len(week)} days", f"{total:,.0f}", "attendances in all"),
        ("Busiest day ahead", f"{busiest.values['point']:.0f}", f"{busiest.day:%a %d %b}"),
        ("Pinch points", str(pinch), f"of {len(days)} days" if page.thresholds
         else "no thresholds set"),
        ("Live accuracy, days 1–7 ahead", live,
         "last 28 days" if near is None or near.expected_mae is None
         else f"expected {near.expected_mae:.1f}"),
    ]
    return "<section class='cards'>" + "".join(
        f"<div class='card'><div class='label'>{escape(a)}</div><div class='big'>{escape(b)}"
        f"</div><div class='muted'>{escape(c)}</div></div>" for a, b, c in cards
    ) + "</section>"


def _pinch_summary(page: TrustPage) -> str:
    if not page.thresholds:
        return (
            f"<p class='note'>No capacity thresholds are set for {escape(page.trust_code)}, so "
            "no pinch points are marked. An admin key can set them with <code>PUT /v1/trusts/"
            f"{escape(page.trust_code)}/thresholds</code>; or add <code>?threshold=N</code> to "
            "this page's address to try one.</p>"
        )
    names = ", ".join(f"{escape(t.name)} {t.attendances}" for t in page.thresholds)
    pinch = [d for d in page.days if d.pinch is not None]
    listed = "; ".join(
        f"<a href='#d-{d.day.isoformat()}'>{d.day:%a %d %b}</a> ({escape(d.pinch.name)}, "
        f"{d.p_exceed[d.pinch.name]:.0%})" for d in pinch[:LISTED] if d.pinch is not None
    ) + (f"; and {len(pinch) - LISTED} more" if len(pinch) > LISTED else "")
    head = (f"<strong>{len(pinch)} pinch point{'s' if len(pinch) != 1 else ''}</strong>"
            if pinch else "No pinch points")
    return (
        f"<p class='note pinch-summary'>{head} (a chance of {page.level:.0%} or more of going "
        f"over a threshold; thresholds: {names}){': ' + listed if listed else '.'}</p>"
    )


def _days_table(page: TrustPage) -> str:
    p_heads = "".join(f"<th>P(over {escape(t.name)})</th>" for t in page.thresholds)
    rows = "".join(_day_row(d, page) for d in page.days)
    return (
        "<h2>Day by day</h2><table class='days'><thead><tr><th>Date</th><th>Ahead</th>"
        f"<th>Forecast</th><th>80% range</th><th>95% range</th>{p_heads}<th>Actual</th>"
        f"<th>Drivers</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _day_row(d: DayRow, page: TrustPage) -> str:
    v = d.values
    data = " ".join(f"data-{name}='{v[name]}'" for name in DAY_FIELDS)
    cls = " class='pinch'" if d.pinch is not None else ""
    p_cells = "".join(
        f"<td class='num' data-threshold='{escape(t.name)}' data-p='{d.p_exceed[t.name]:.4f}'>"
        f"{d.p_exceed[t.name]:.0%}</td>" for t in page.thresholds
    )
    drivers = "".join(
        f"<li><b>{escape(item['label'])}</b>: {escape(item['explanation'])}</li>"
        for item in d.drivers if item["driver"] == "recent_level" or abs(item["attendances"]) >= 0.5
    )
    actual = "" if d.actual is None else str(d.actual)
    return (
        f"<tr id='d-{d.day.isoformat()}' data-date='{d.day.isoformat()}' {data}{cls}>"
        f"<td><a href='{_day_link(page, d)}'>{d.day:%a %d %b}</a></td>"
        f"<td class='num'>{d.horizon}</td>"
        f"<td class='num point'>{v['point']:.0f}</td>"
        f"<td class='num'>{v['lo80']:.0f}–{v['hi80']:.0f}</td>"
        f"<td class='num'>{v['lo95']:.0f}–{v['hi95']:.0f}</td>{p_cells}"
        f"<td class='num actual'>{actual}</td>"
        f"<td><details><summary>why</summary><ul>{drivers}</ul></details></td></tr>"
    )


def _day_link(page: TrustPage, d: DayRow) -> str:
    """This page with the day's hours shown (keeping a tried threshold)."""
    query = {"day": d.day.isoformat()}
    if page.extra_threshold is not None:
        query["threshold"] = str(page.extra_threshold)
    return f"/dashboard/{escape(page.trust_code)}?{escape(urlencode(query))}#hourly"


def _hourly(view: HourlyView) -> str:
    source = (
        f"the trust's own arrivals ({view.profile.days} complete days to "
        f"{view.profile.data_to:%d %b %Y}, weight {view.profile.weight:.0%})"
        if view.profile.source == "trust" and view.profile.data_to is not None
        else "the default profile (no hourly arrivals ingested for this trust)"
    )
    rows = "".join(
        f"<tr data-hour='{h.hour_start_utc.isoformat()}' data-point='{h.point}'>"
        f"<td>{h.local_start:%H:%M}</td><td class='num'>{h.point:.1f}</td>"
        f"<td class='num'>{h.lo80}–{h.hi80}</td><td class='num'>{h.lo95}–{h.hi95}</td></tr>"
        for h in view.hours
    )
    return (
        f"<h2 id='hourly'>Hour by hour, {view.day:%a %d %b}</h2>"
        f"<figure class='chart'>{hourly_chart(view)}"
        f"<figcaption>Arrivals by UK clock hour, spread from the day's forecast with {source}. "
        "Click a date in the table above to see its hours."
        "</figcaption></figure><details><summary>Hourly table</summary><table class='hours'>"
        "<thead><tr><th>Hour</th><th>Forecast</th><th>80% range</th><th>95% range</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></details>"
    )


def _accuracy(rows: Iterable[AccuracyRow]) -> str:
    body = "".join(
        f"<tr data-horizons='{escape(r.horizons)}'{' class=drift' if r.drift else ''}>"
        f"<td>{escape(r.horizons)}</td><td class='num'>{r.n}</td><td class='num'>{_num(r.mae)}"
        f"</td><td class='num'>{_num(r.expected_mae)}</td><td class='num'>{_pct(r.coverage80)}"
        f"</td><td class='num'>{_pct(r.coverage95)}</td>"
        f"<td>{'drifting' if r.drift else 'ok'}</td></tr>"
        for r in rows
    )
    if not body:
        return ("<h2>Live accuracy</h2><p class='muted'>No actuals have arrived yet for days "
                "this service forecast.</p>")
    return (
        "<h2>Live accuracy (last 28 days of actuals)</h2><table class='accuracy'><thead><tr>"
        "<th>Days ahead</th><th>Days scored</th><th>MAE</th><th>Expected MAE</th>"
        "<th>In 80% range</th><th>In 95% range</th><th>Drift</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def _stamp(iso: str | None) -> str:
    if not iso:
        return "–"
    return f"{datetime.fromisoformat(iso.replace('Z', '+00:00')):%d %b %Y %H:%M} UTC"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"
