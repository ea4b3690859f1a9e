"""The backtest's `report.html`: one standalone page a person can read offline.

Inline CSS and inline SVG (forecast.report.charts), no scripts, no network.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

import polars as pl

from forecast.report.charts import PALETTE, Band, Chart, Series, render
from forecast.report.exceedance import exceedance_section
from forecast.report.hierarchy import hierarchy_section

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
NOMINAL = {"lo95": 0.025, "lo80": 0.10, "point": 0.5, "hi80": 0.90, "hi95": 0.975}
SAMPLE_TRUSTS = 4
SAMPLE_WINDOWS = 4

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1000px;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}th,td{padding:4px 10px;text-align:right;
border-bottom:1px solid #eee}th:first-child,td:first-child{text-align:left}
tr.oracle td{color:#666;font-style:italic}tr.default td:first-child{font-weight:bold}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.6em 1em}
.grid2{display:flex;flex-wrap:wrap;gap:12px}.muted{color:#666}
svg{background:#fff;border:1px solid #eee;margin:4px 0}
svg .grid{stroke:#eee}svg .axis{stroke:#999}svg text{font-size:11px;fill:#444}
svg .yl{text-anchor:end}svg .xl{text-anchor:middle}svg .ct{font-weight:bold;font-size:12px}
svg .yt{text-anchor:middle}
"""


def render_report(forecasts: pl.DataFrame, summary: dict[str, Any]) -> str:
    """The whole page; `forecasts` are the scored backtest rows, `summary` is metrics.json (with
    a `hierarchy` block, the levels' section closes the page)."""
    models = list(summary["models"])
    colours = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(models)}
    sections = [
        _header(forecasts, summary),
        _comparison(summary),
        _breakdowns(summary, colours),
        _calibration(forecasts, models, colours),
        exceedance_section(summary),
        _samples(forecasts, summary, models),
        _definitions(),
    ]
    if "hierarchy" in summary:
        sections.append(hierarchy_section(summary["hierarchy"]))
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<title>ae-forecast backtest</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>\n")


def _header(forecasts: pl.DataFrame, summary: dict[str, Any]) -> str:
    dates = summary.get("origin_dates") or []
    span = f"{dates[0]} to {dates[-1]}" if dates else "none"
    temperature = summary.get("temperature", "none")
    if temperature == "none":
        weather = "No temperature file was given: every model ran without temperature."
    else:
        weather = (f"Temperature: {escape(temperature)}. For the forecast days the models were "
                   "given the temperature file's values, i.e. <b>perfect foresight of "
                   "temperature</b>; live forecasts use weather forecasts and will do a little "
                   "worse where a model leans on temperature.")
    return (f"<h1>A&amp;E demand forecast backtest</h1>"
            f"<p class='muted'>{summary['origins']} origins ({span}), horizon 1 to "
            f"{summary['horizon']} days, {summary['n_trusts']} trusts, "
            f"{forecasts.height:,} forecast rows, run time {summary['elapsed_s']:.0f} s. "
            f"Default model served by the batch and the API: "
            f"<b>{escape(summary['default_model'])}</b>.</p>"
            f"<p class='note'>{weather} Attendances after each origin were never shown to "
            f"any model.</p>")


def _fmt(value: Any, digits: int = 2, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.1f}%" if percent else f"{value:,.{digits}f}"


def _comparison(summary: dict[str, Any]) -> str:
    head = ("<tr><th>model</th><th>MAE</th><th>MASE</th><th>MAPE</th><th>cover 80%</th>"
            "<th>cover 95%</th><th>pinball</th><th>width 80%</th><th>fit s</th>"
            "<th>predict s</th><th>MAE / oracle</th></tr>")
    rows = []
    for name, m in summary["models"].items():
        css = " class='default'" if name == summary["default_model"] else ""
        rows.append(
            f"<tr{css}><td>{escape(name)}</td><td>{_fmt(m['mae'])}</td><td>{_fmt(m['mase'], 3)}"
            f"</td><td>{_fmt(m['mape'], percent=True)}</td>"
            f"<td>{_fmt(m['coverage80'], percent=True)}</td>"
            f"<td>{_fmt(m['coverage95'], percent=True)}</td><td>{_fmt(m['pinball'])}</td>"
            f"<td>{_fmt(m.get('width80'), 1)}</td><td>{_fmt(m['fit_s'], 1)}</td>"
            f"<td>{_fmt(m['predict_s'], 1)}</td><td>{_fmt(m.get('mae_vs_oracle'), 3)}</td></tr>")
    oracle = summary.get("oracle")
    if oracle and oracle.get("mae") is not None:
        rows.append(f"<tr class='oracle'><td>oracle (true median)</td><td>{_fmt(oracle['mae'])}"
                    "</td>" + "<td>–</td>" * 8 + "<td>1.000</td></tr>")
    return ("<h2>Model comparison</h2><table>" + head + "".join(rows) + "</table>"
            "<p class='muted'>Lower is better for MAE, MASE, MAPE and pinball; coverage should "
            "be close to 80% and 95%. MASE below 1 beats the seasonal naive forecast's in-sample "
            "error. The oracle knows the true expected attendances and predicts their median: "
            "no model can expect to beat it.</p>")


def _breakdown_chart(summary: dict[str, Any], key: str, x: str, metric: str, title: str,
                     colours: dict[str, str], labels: list[str] | None = None,
                     y_min: float | None = None) -> str:
    series = []
    for name, m in summary["models"].items():
        rows = [r for r in m.get(key, []) if r.get(metric) is not None]
        series.append(Series(name, [r[x] for r in rows], [r[metric] for r in rows],
                             colours[name]))
    xs = sorted({v for s in series for v in s.xs})
    chart = Chart(title, series, y_title=metric, y_min=y_min, x_ticks=xs,
                  x_label=(lambda v: labels[int(v) - 1]) if labels else (lambda v: f"{v:g}"),
                  width=480, height=240)
    return render(chart)


def _breakdowns(summary: dict[str, Any], colours: dict[str, str]) -> str:
    charts = [
        _breakdown_chart(summary, "by_horizon", "horizon", "mae", "MAE by horizon (days)",
                         colours, y_min=0),
        _breakdown_chart(summary, "by_horizon", "horizon", "coverage80",
                         "80% interval coverage by horizon", colours),
        _breakdown_chart(summary, "by_weekday", "weekday", "mae", "MAE by weekday", colours,
                         WEEKDAYS, y_min=0),
        _breakdown_chart(summary, "by_month", "month", "mae", "MAE by month", colours, MONTHS,
                         y_min=0),
    ]
    return "<h2>Error by horizon, weekday and month</h2><div class='grid2'>" + "".join(
        charts) + "</div>"


def _calibration(forecasts: pl.DataFrame, models: list[str], colours: dict[str, str]) -> str:
    scored = forecasts.filter(pl.col("actual").is_not_null())
    observed = scored.group_by("model").agg(
        [(pl.col("actual") <= pl.col(c)).cast(pl.Float64).mean().alias(c) for c in NOMINAL])
    by_model = {row["model"]: row for row in observed.to_dicts()}
    levels = list(NOMINAL.values())
    series = [Series("ideal", levels, levels, "#999999", dashed=True)]
    series += [Series(m, levels, [by_model[m][c] for c in NOMINAL], colours[m])
               for m in models if m in by_model]
    series += [Series(m, levels, [by_model[m][c] for c in NOMINAL], colours[m], dots=True)
               for m in models if m in by_model]
    chart = Chart("Share of actuals at or below each forecast quantile", series,
                  x_ticks=[0.1, 0.5, 0.9], x_label=lambda v: f"{v:.0%}", y_min=0, y_max=1,
                  y_title="observed", width=480, height=300)
    rows = "".join(
        f"<tr><td>{escape(m)}</td>" + "".join(f"<td>{_fmt(by_model[m][c], percent=True)}</td>"
                                              for c in NOMINAL) + "</tr>"
        for m in models if m in by_model)
    head = "<tr><th>model</th>" + "".join(
        f"<th>≤ {c} (nominal {q:.1%})</th>" for c, q in NOMINAL.items()) + "</tr>"
    return ("<h2>Interval calibration</h2><p class='muted'>Nominal against observed: a "
            "calibrated model lies on the dashed diagonal.</p>" + render(chart)
            + f"<table>{head}{rows}</table>")


def _sample_trusts(forecasts: pl.DataFrame) -> list[str]:
    """Largest, smallest and evenly spaced trusts in between, by mean actual."""
    sizes = (forecasts.filter(pl.col("actual").is_not_null()).group_by("trust_code")
             .agg(pl.col("actual").mean()).sort("actual", descending=True)["trust_code"].to_list())
    if len(sizes) <= SAMPLE_TRUSTS:
        return list(sizes)
    step = (len(sizes) - 1) / (SAMPLE_TRUSTS - 1)
    return [sizes[round(i * step)] for i in range(SAMPLE_TRUSTS)]


def _samples(forecasts: pl.DataFrame, summary: dict[str, Any], models: list[str]) -> str:
    model = summary["default_model"] if summary["default_model"] in models else models[0]
    rows = forecasts.filter(pl.col("model") == model)
    if rows.is_empty():
        return ""
    horizon = int(summary["horizon"])
    origins = sorted(rows["origin"].unique().to_list(), reverse=True)
    chosen: list[date] = []
    for origin in origins:  # the latest origins whose forecasts do not overlap
        if all((c - origin).days >= horizon for c in chosen) and len(chosen) < SAMPLE_WINDOWS:
            chosen.append(origin)
    charts = [_sample_chart(rows.filter(pl.col("trust_code") == code,
                                        pl.col("origin").is_in(chosen)), code, model)
              for code in _sample_trusts(rows)]
    return (f"<h2>Forecast against actual: {escape(model)}</h2><p class='muted'>The latest "
            f"{len(chosen)} non-overlapping origins, for the largest, the smallest and trusts "
            "in between. Dots are actuals; shading the 80% (dark) and 95% (light) intervals."
            "</p><div class='grid2'>" + "".join(charts) + "</div>")


def _sample_chart(rows: pl.DataFrame, code: str, model: str) -> str:
    rows = rows.sort("date")
    xs = [float(d.toordinal()) for d in rows["date"].to_list()]
    series: list[Series] = []
    bands: list[Band] = []
    for origin in sorted(rows["origin"].unique().to_list()):
        part = rows.filter(pl.col("origin") == origin)
        px = [float(d.toordinal()) for d in part["date"].to_list()]
        bands.append(Band(px, part["lo95"].to_list(), part["hi95"].to_list(), PALETTE[0], 0.12))
        bands.append(Band(px, part["lo80"].to_list(), part["hi80"].to_list(), PALETTE[0], 0.22))
        series.append(Series(model if not series else "", px, part["point"].to_list(), PALETTE[0]))
    series.append(Series("actual", xs, rows["actual"].cast(pl.Float64).to_list(), "#222222",
                         dots=True))
    ticks = xs[:: max(1, len(xs) // 6)]
    chart = Chart(f"{code}", [s for s in series if s.name or s.xs], bands,
                  x_label=lambda v: date.fromordinal(int(v)).strftime("%d %b %y"),
                  x_ticks=ticks, y_title="attendances", width=480, height=240)
    return render(chart)


def _definitions() -> str:
    return ("<h2>How to read this</h2><ul>"
            "<li><b>MAE</b>: mean absolute error in attendances per day.</li>"
            "<li><b>MASE</b>: each trust's MAE divided by the in-sample MAE of the seasonal "
            "naive (same weekday last week) forecast on that trust's history up to the first "
            "origin, averaged over trusts (every trust counts the same).</li>"
            "<li><b>MAPE</b>: mean absolute percentage error, days with zero attendances "
            "skipped.</li><li><b>Coverage</b>: share of actuals inside the 80% / 95% "
            "intervals.</li><li><b>Pinball</b>: quantile loss averaged over the four interval "
            "bounds and the point forecast (as the median).</li>"
            "<li>Missing days are never scored (they are missing, not zero).</li></ul>")
