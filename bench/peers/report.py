"""The markdown tables and the three ratios that matter, from a results dictionary."""

from __future__ import annotations

from typing import Any

COLUMNS = ["model", "trusts", "MAE", "MASE", "MAPE", "80% cov", "95% cov", "pinball",
           "MAE / oracle", "ours MAE / its MAE, same rows [95% CI]", "origins ours won",
           "wall s", "peak MB"]


def markdown(result: dict[str, Any]) -> str:
    """One dataset's table, its ratios and the models that are absent with the reason."""
    lines = [f"**{result['dataset']}** ({result['n_trusts']} trust"
             f"{'' if result['n_trusts'] == 1 else 's'}, {result['origins']} "
             f"origins, horizon {result['horizon']}; {_load(result)})", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    for name, m in result["models"].items():
        cells = [f"`{name}`", str(m["n_trusts"]), _f(m["mae"], 2), _f(m["mase"]),
                 _f(m["mape"]), _f(m["coverage80"]), _f(m["coverage95"]), _f(m["pinball"], 2),
                 _f(m.get("mae_vs_oracle")), *_versus(m), _f(m["wall_s"], 1),
                 _f(m["peak_rss_mb"], 0)]
        lines.append("| " + " | ".join(cells) + " |")
    for name, reason in result.get("absent", {}).items():
        lines.append(f"\n`{name}` absent: {reason}")
    ratios = result["ratios"]
    best = result["models"].get(ratios["best_peer"] or "", {})
    lines += ["", f"- our MAE / best peer's MAE: {_f(ratios['mae_vs_best_peer'])} "
                  f"{_versus(best)[0].split(' ', 1)[-1] if best else ''} "
                  f"(best peer: `{ratios['best_peer']}`, on its rows)",
              f"- our wall time / mlforecast's: {_f(ratios['wall_vs_mlforecast'])}",
              f"- our MAE / oracle MAE: {_f(ratios['mae_vs_oracle'])}"]
    return "\n".join(lines)


def ratios(models: dict[str, Any], ours: str) -> dict[str, Any]:
    """The best peer is the one whose MAE comes closest to (or under) ours on its own rows."""
    peers = {name: m for name, m in models.items() if name != ours and m.get("ours_same_rows")}
    best = max(peers, key=lambda n: peers[n]["ours_same_rows"]["mae"] / peers[n]["mae"],
               default=None)
    own = models.get(ours, {})
    return {
        "best_peer": best,
        "mae_vs_best_peer": (_ratio(peers[best]["ours_same_rows"]["mae"], peers[best]["mae"])
                             if best else None),
        "wall_vs_mlforecast": (_ratio(own.get("wall_s"), models["mlforecast"]["wall_s"])
                               if "mlforecast" in models else None),
        "mae_vs_oracle": own.get("mae_vs_oracle"),
    }


def _load(result: dict[str, Any]) -> str:
    """The 1-minute load average at the start and end of each run that measured the models."""
    runs = result.get("runs") or [result | {"models": list(result["models"])}]
    return "; ".join(f"load average {r['loadavg_start'][0]} at start, {r['loadavg_end'][0]} at "
                     f"end" + (f" of the run of {', '.join(r['models'])}" if len(runs) > 1 else "")
                     for r in runs)


def _versus(entry: dict[str, Any]) -> list[str]:
    """'ratio [lo, hi]' and 'won/origins' against ours, or dashes for ours itself."""
    paired = entry.get("ours_vs_this")
    if not paired or paired.get("mae_ratio") is None:
        return ["—", "—"]
    lo, hi = paired["ci95"]
    return [f"{paired['mae_ratio']:.3f} [{lo:.3f}, {hi:.3f}]",
            f"{paired['origins_won']}/{paired['origins']}"]


def _ratio(num: float | None, den: float | None) -> float | None:
    return None if num is None or not den else round(num / den, 4)


def _f(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"
