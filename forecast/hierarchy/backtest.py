"""Rolling-origin backtest of the hierarchy: every level, unreconciled against reconciled.

The same splits as `forecast.backtest` (a model sees only actuals up to the origin). At every
origin the engine forecasts every node once; each reconciliation method in `methods` turns
those base forecasts into coherent ones (the first method is the one served). Scored per level
(nation, region, ICS, trust, site): MAE, MASE, 80%/95% coverage, for the base forecasts and each
method, plus the largest gap between any parent's point and the sum of its children's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from forecast.backtest import BacktestStep, ProgressFn, attach_actuals, backtest_splits
from forecast.hierarchy.aggregate import DEFAULT_TARGET, hierarchy_input
from forecast.hierarchy.model import HierarchicalForecaster
from forecast.hierarchy.reconcile import Method
from forecast.hierarchy.structure import LEVELS, Hierarchy
from forecast.metrics import coverage80, coverage95, evaluate, mae, mase, n_scored, with_mase_scale
from forecast.protocol import Forecaster, ModelInput

BASE = "base"


@dataclass(frozen=True)
class HierarchyBacktest:
    forecasts: pl.DataFrame   # BACKTEST_COLUMNS + level; model = "base" or a method's name
    summary: dict[str, Any]   # the `hierarchy` block of metrics.json


def run_hierarchy_backtest(
    data: ModelInput, hierarchy: Hierarchy, horizon: int, origins: Sequence[date], *,
    engine: Callable[[], Forecaster] | None = None,
    methods: Sequence[Method] = ("mint_shrink",), refit_every: int = 4,
    target: str = DEFAULT_TARGET, progress: ProgressFn | None = None,
    model_options: dict[str, Any] | None = None,
) -> HierarchyBacktest:
    """`data` holds the bottom series (sites under their own codes) and may hold more;
    `model_options` go to `HierarchicalForecaster` (e.g. `early_models`, to try another
    calibration)."""
    started = time.perf_counter()
    nodes = hierarchy_input(data, hierarchy, target)
    options: dict[str, Any] = dict(model_options or {})
    if engine is not None:
        options["engine"] = engine
    model = HierarchicalForecaster(hierarchy, method=methods[0], max_horizon=horizon, **options)
    frames: list[pl.DataFrame] = []
    variants: dict[str, HierarchicalForecaster] = {}
    for split in backtest_splits(nodes, origins, refit_every):
        if split.refit:
            model.fit(split.history)
            variants = {m: model if m == model.method else model.with_method(m) for m in methods}
        reconciled = model.predict(split.history, split.origin, horizon)
        frames.append(model.last_base.with_columns(model=pl.lit(BASE)))
        for name, variant in variants.items():
            out = reconciled if variant is model else variant.reconcile(model.last_base)
            frames.append(out.with_columns(model=pl.lit(name)))
        if progress is not None:
            progress(BacktestStep(model.name, split.origin, split.index + 1, len(origins)))
    levels = pl.DataFrame({"trust_code": hierarchy.codes,
                           "level": [hierarchy.level_of(c) for c in hierarchy.codes]})
    forecasts = attach_actuals(pl.concat(frames, how="diagonal"), nodes.attendances).join(
        levels, on="trust_code", how="left")
    summary = summarise(forecasts, nodes.attendances, hierarchy, list(methods))
    summary.update(target=target, horizon=horizon, origins=len(origins),
                   elapsed_s=round(time.perf_counter() - started, 1))
    return HierarchyBacktest(forecasts, summary)


def summarise(forecasts: pl.DataFrame, node_series: pl.DataFrame, hierarchy: Hierarchy,
              methods: list[str]) -> dict[str, Any]:
    """Per level and model: mae, mase, coverage80/95, n; each method's MAE change vs base."""
    scored = with_mase_scale(forecasts, node_series)
    table = evaluate(scored, [mae, mase, coverage80, coverage95, n_scored], by=["model", "level"])
    counts = {lvl: sum(1 for n in hierarchy.nodes if n.level == lvl) for lvl in LEVELS}
    per_level: dict[str, Any] = {}
    for level in [lvl for lvl in LEVELS if counts[lvl]]:
        rows = {r["model"]: {k: r[k] for k in ("mae", "mase", "coverage80", "coverage95", "n")}
                for r in table.filter(pl.col("level") == level).iter_rows(named=True)}
        base_mae = rows.get(BASE, {}).get("mae")
        for name in methods:
            if base_mae and name in rows:
                rows[name]["mae_change"] = rows[name]["mae"] / base_mae - 1.0
        per_level[level] = {"nodes": counts[level], **rows}
    return {"methods": methods, "served": methods[0], "levels": per_level,
            "max_incoherence": {m: max_incoherence(forecasts.filter(pl.col("model") == m),
                                                   hierarchy) for m in methods}}


def max_incoherence(forecasts: pl.DataFrame, hierarchy: Hierarchy) -> float:
    """Largest |parent point - sum of its children's points| over every parent and row."""
    children = pl.DataFrame(
        [(n.code, n.parent) for n in hierarchy.nodes if n.parent is not None
         and (n.level != "site" or n.code in hierarchy.leaves)],
        schema={"trust_code": pl.String, "parent": pl.String}, orient="row")
    sums = forecasts.join(children, on="trust_code").group_by("parent", "origin", "date").agg(
        pl.col("point").sum().alias("children"))
    gaps = sums.join(forecasts, left_on=["parent", "origin", "date"],
                     right_on=["trust_code", "origin", "date"]).select(
        (pl.col("point") - pl.col("children")).abs().max()).item()
    return float(gaps) if gaps is not None and np.isfinite(gaps) else 0.0
