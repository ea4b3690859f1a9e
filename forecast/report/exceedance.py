"""The report's exceedance section: reliability of P(attendances > threshold), per model."""

from __future__ import annotations

from html import escape
from typing import Any


def exceedance_section(summary: dict[str, Any]) -> str:
    """A reliability table per model that has one in metrics.json ("exceedance")."""
    models = [(name, m["exceedance"]) for name, m in summary["models"].items()
              if m.get("exceedance")]
    if not models:
        return ""
    default = summary.get("default_model")
    models.sort(key=lambda item: item[0] != default)  # the served model first
    tables = "".join(_table(name, entry, name == default) for name, entry in models)
    return ("<h2>Exceedance probabilities: reliability</h2><p class='muted'>For every forecast "
            "day and three thresholds per trust (its 80th, 90th and 95th percentile of the year "
            "up to the origin, the kind of capacity line a manager sets), the probability of "
            "exceeding it, read from the forecast's quantiles as the API's <code>p_exceed</code> "
            "is. Grouped by predicted probability: calibrated when, in each row, the observed "
            "share is close to the mean predicted one.</p>" + tables)


def _table(name: str, entry: dict[str, Any], default: bool) -> str:
    head = ("<tr><th>predicted p</th><th>days</th><th>mean predicted</th>"
            "<th>observed share exceeding</th><th>95% interval of the observed</th></tr>")
    rows = "".join(
        f"<tr><td>{b['lo']:.1f} – {b['hi']:.1f}</td><td>{b['n']:,}</td>"
        f"<td>{_pct(b['mean_predicted'])}</td><td>{_pct(b['observed'])}</td>"
        f"<td>{_ci(b.get('observed_ci95'))}</td></tr>"
        for b in entry["bins"])
    levels = ", ".join(f"{int(round(100 * r['percentile']))}th percentile: predicted "
                       f"{_pct(r['mean_predicted'])}, observed {_pct(r['observed'])}"
                       for r in entry.get("by_percentile", []))
    title = f"{escape(name)}{' (served by default)' if default else ''}"
    return (f"<h3>{title}</h3><table>{head}{rows}</table><p class='muted'>{entry['n']:,} "
            f"day-thresholds; Brier score {entry['brier']}; mean gap between predicted and "
            f"observed {_pct(entry['calibration_gap'])}. {levels}.</p>")


def _ci(bounds: list[float | None] | None) -> str:
    if not bounds or None in bounds:
        return "–"
    return f"{_pct(bounds[0])} – {_pct(bounds[1])}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"
