"""Tiny inline-SVG charts for the backtest report: lines, dots and shaded bands, no libraries.

The report must open offline and anywhere, so the charts are plain SVG strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 32, 44, 40


@dataclass(frozen=True)
class Series:
    """A named line (or dots) through points; a None y breaks the line."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float | None]
    colour: str = PALETTE[0]
    dots: bool = False
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A shaded area between `lo` and `hi`."""

    xs: Sequence[float]
    lo: Sequence[float]
    hi: Sequence[float]
    colour: str = PALETTE[0]
    opacity: float = 0.15


@dataclass(frozen=True)
class Frame:
    """Where the plot sits, for layers the caller draws (highlights, hover targets)."""

    sx: Callable[[float], float]
    sy: Callable[[float], float]
    top: float
    bottom: float


Layer = Callable[[Frame], Sequence[str]]


@dataclass(frozen=True)
class Chart:
    title: str
    series: Sequence[Series]
    bands: Sequence[Band] = ()
    x_label: Callable[[float], str] = field(default=lambda x: f"{x:g}")
    x_ticks: Sequence[float] | None = None
    y_title: str = ""
    y_min: float | None = None
    y_max: float | None = None
    width: int = 640
    height: int = 260
    underlay: Layer | None = None  # SVG drawn under the bands (e.g. highlighted days)
    overlay: Layer | None = None  # SVG drawn over the lines (e.g. hover targets)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round-numbered ticks covering lo..hi."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    return [round(start + i * step, 10) for i in range(int(math.ceil((hi - start) / step)) + 1)]


def render(chart: Chart) -> str:
    xs = [x for s in chart.series for x in s.xs] + [x for b in chart.bands for x in b.xs]
    ys = [y for s in chart.series for y in s.ys if y is not None and math.isfinite(y)]
    ys += [v for b in chart.bands for v in (*b.lo, *b.hi) if math.isfinite(v)]
    if not xs or not ys:
        return f"<p class='empty'>{escape(chart.title)}: nothing to show.</p>"
    y_ticks = nice_ticks(min(ys) if chart.y_min is None else chart.y_min,
                         max(ys) if chart.y_max is None else chart.y_max)
    x_lo, x_hi = min(xs), max(xs)
    x_ticks = list(chart.x_ticks) if chart.x_ticks is not None else nice_ticks(x_lo, x_hi, 6)
    plot_w = chart.width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = chart.height - MARGIN_TOP - MARGIN_BOTTOM
    y_lo, y_hi = y_ticks[0], y_ticks[-1]
    x_span = (x_hi - x_lo) or 1.0

    def sx(x: float) -> float:
        return MARGIN_LEFT + (x - x_lo) / x_span * plot_w

    def sy(y: float) -> float:
        return MARGIN_TOP + plot_h - (y - y_lo) / ((y_hi - y_lo) or 1.0) * plot_h

    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {chart.width} {chart.height}' "
             f"width='{chart.width}' height='{chart.height}' role='img' "
             f"aria-label='{escape(chart.title)}'>",
             f"<text x='{MARGIN_LEFT}' y='16' class='ct'>{escape(chart.title)}</text>"]
    parts += _axes(chart, x_ticks, y_ticks, sx, sy, x_lo, x_hi)
    frame = Frame(sx, sy, MARGIN_TOP, MARGIN_TOP + plot_h)
    parts += chart.underlay(frame) if chart.underlay else []
    parts += [_band(b, sx, sy) for b in chart.bands]
    parts += [_series(s, sx, sy) for s in chart.series]
    parts += chart.overlay(frame) if chart.overlay else []
    parts.append(_legend(chart))
    parts.append("</svg>")
    return "".join(parts)


def _axes(chart: Chart, x_ticks: Sequence[float], y_ticks: Sequence[float],
          sx: Callable[[float], float], sy: Callable[[float], float],
          x_lo: float, x_hi: float) -> list[str]:
    left, right = MARGIN_LEFT, chart.width - MARGIN_RIGHT
    bottom = chart.height - MARGIN_BOTTOM
    out = []
    for y in y_ticks:
        at = sy(y)
        out.append(f"<line x1='{left}' x2='{right}' y1='{at:.1f}' y2='{at:.1f}' class='grid'/>"
                   f"<text x='{left - 6}' y='{at + 4:.1f}' class='yl'>{y:g}</text>")
    for x in x_ticks:
        if x_lo <= x <= x_hi:
            out.append(f"<text x='{sx(x):.1f}' y='{bottom + 16}' class='xl'>"
                       f"{escape(chart.x_label(x))}</text>")
    out.append(f"<line x1='{left}' x2='{right}' y1='{bottom}' y2='{bottom}' class='axis'/>")
    if chart.y_title:
        out.append(f"<text x='12' y='{MARGIN_TOP + (bottom - MARGIN_TOP) / 2:.0f}' class='yt' "
                   f"transform='rotate(-90 12 {MARGIN_TOP + (bottom - MARGIN_TOP) / 2:.0f})'>"
                   f"{escape(chart.y_title)}</text>")
    return out


def _band(band: Band, sx: Callable[[float], float], sy: Callable[[float], float]) -> str:
    upper = [f"{sx(x):.1f},{sy(h):.1f}" for x, h in zip(band.xs, band.hi, strict=True)]
    lower = [f"{sx(x):.1f},{sy(lo):.1f}" for x, lo in zip(band.xs, band.lo, strict=True)]
    points = " ".join(upper + lower[::-1])
    return (f"<polygon points='{points}' fill='{band.colour}' "
            f"fill-opacity='{band.opacity}' stroke='none'/>")


def _series(series: Series, sx: Callable[[float], float], sy: Callable[[float], float]) -> str:
    pts = [(x, y) for x, y in zip(series.xs, series.ys, strict=True)]
    if series.dots:
        return "".join(f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='2.4' fill='{series.colour}'/>"
                       for x, y in pts if y is not None and math.isfinite(y))
    runs: list[list[str]] = [[]]
    for x, y in pts:
        if y is None or not math.isfinite(y):
            runs.append([])
        else:
            runs[-1].append(f"{sx(x):.1f},{sy(y):.1f}")
    dash = " stroke-dasharray='5 4'" if series.dashed else ""
    return "".join(f"<polyline points='{' '.join(run)}' fill='none' stroke='{series.colour}' "
                   f"stroke-width='1.8'{dash}/>" for run in runs if len(run) > 1) + "".join(
        f"<circle cx='{run[0].split(',')[0]}' cy='{run[0].split(',')[1]}' r='2' "
        f"fill='{series.colour}'/>" for run in runs if len(run) == 1)


def _legend(chart: Chart) -> str:
    out, x, seen = [], MARGIN_LEFT, set()
    for s in chart.series:
        if not s.name or s.name in seen:
            continue
        seen.add(s.name)
        out.append(f"<rect x='{x}' y='23' width='10' height='10' fill='{s.colour}'/>"
                   f"<text x='{x + 14}' y='32' class='lg'>{escape(s.name)}</text>")
        x += 22 + 7 * len(s.name)
    return "".join(out)
