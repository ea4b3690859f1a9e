"""The hierarchy's part of report.html: per level, unreconciled against reconciled."""

from __future__ import annotations

from html import escape
from typing import Any


def hierarchy_section(summary: dict[str, Any]) -> str:
    """An HTML section from the `hierarchy` block of metrics.json."""
    rows = []
    for level, block in summary["levels"].items():
        for name in ["base", *summary["methods"]]:
            m = block.get(name)
            if m is None:
                continue
            change = f"{100 * m['mae_change']:+.2f}%" if "mae_change" in m else ""
            label = "unreconciled" if name == "base" else escape(name)
            rows.append(f"<tr><td>{escape(level)}</td><td>{block['nodes']}</td><td>{label}</td>"
                        f"<td>{m['mae']:.2f}</td><td>{change}</td><td>{m['mase']:.3f}</td>"
                        f"<td>{m['coverage80']:.3f}</td><td>{m['coverage95']:.3f}</td></tr>")
    gap = max(summary["max_incoherence"].values(), default=0.0)
    return ("<h2>Hierarchy: every level, unreconciled against reconciled</h2>"
            f"<p>Served: <b>{escape(summary['served'])}</b>. Unreconciled forecasts come from the "
            "engine run on every node's own series; reconciled ones add up (largest gap between "
            f"a parent and the sum of its children: {gap:.2e}). Intervals are calibrated per "
            "level.</p><table><thead><tr><th>level</th><th>nodes</th><th>forecast</th>"
            "<th>MAE</th><th>vs unreconciled</th><th>MASE</th><th>80% coverage</th>"
            f"<th>95% coverage</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
