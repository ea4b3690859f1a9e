"""The rolling-origin backtest as one call: forecasts, metrics and the report, for a notebook
or `aeforecast backtest`.

`backtest` runs the models over the origins, scores them (metrics.json's summary, the per-model
metrics as a frame), optionally backtests every level of a hierarchy, and composes the report;
`BacktestOutcome.write` puts the files `aeforecast backtest` writes into a directory, all
together or not at all. Reading and validating input files is the caller's job.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from forecast.backtest import ProgressFn, backtest_origins, run_backtest
from forecast.catalog import BACKTEST_MODELS, DEFAULT_MODEL, build_model, build_models
from forecast.metrics import ALL_METRICS, evaluate, with_mase_scale
from forecast.protocol import Forecaster, ModelInput, ModelName
from forecast.reliability import reliability
from forecast.report.html import render_report
from forecast.summary import summarise
from forecast.targets import DEFAULT_TARGET, Target

if TYPE_CHECKING:
    from forecast.hierarchy.backtest import HierarchyBacktest
    from forecast.scaleout.cluster import Cluster

FORECASTS_FILE = "forecasts.parquet"
HIERARCHY_FORECASTS_FILE = "hierarchy_forecasts.parquet"
METRICS_FILE = "metrics.json"
REPORT_FILE = "report.html"


@dataclass(frozen=True)
class BacktestOutcome:
    """What a backtest produced; `summary` is metrics.json, `report` is report.html."""

    forecasts: pl.DataFrame        # BACKTEST_COLUMNS, as written to forecasts.parquet
    scored: pl.DataFrame           # the same rows with `mase_scale`, what the metrics are on
    metrics: pl.DataFrame          # one row per model, one column per metric (ALL_METRICS)
    summary: dict[str, Any]
    report: str
    hierarchy: HierarchyBacktest | None = None

    @property
    def files(self) -> list[str]:
        """The names `write` creates, in the order it writes them."""
        names = [HIERARCHY_FORECASTS_FILE] if self.hierarchy is not None else []
        return [*names, FORECASTS_FILE, METRICS_FILE, REPORT_FILE]

    def write(self, out: Path) -> None:
        """Every file in a staging directory inside `out`, then moved into place, so a failure
        leaves the previous outputs (or none) rather than a mix."""
        writers: dict[str, Callable[[Path], object]] = {}
        if self.hierarchy is not None:
            writers[HIERARCHY_FORECASTS_FILE] = self.hierarchy.forecasts.write_parquet
        writers[FORECASTS_FILE] = self.forecasts.write_parquet
        writers[METRICS_FILE] = lambda p: p.write_text(json.dumps(self.summary, indent=2) + "\n")
        writers[REPORT_FILE] = lambda p: p.write_text(self.report, encoding="utf-8")
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".backtest-", dir=out))
        try:
            for name, write in writers.items():
                write(staging / name)
            for name in writers:
                os.replace(staging / name, out / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def backtest(
    attendances: pl.DataFrame,
    temperature: pl.DataFrame | None = None,
    *,
    models: Sequence[ModelName] | Mapping[ModelName, Forecaster] = tuple(BACKTEST_MODELS),
    origins: int | Sequence[date] = 26,
    step: int = 7,
    horizon: int = 14,
    refit_every: int = 4,
    hierarchy: pl.DataFrame | None = None,
    sites: pl.DataFrame | None = None,
    truth: pl.DataFrame | None = None,
    target: Target = DEFAULT_TARGET,
    temperature_label: str | None = None,
    progress: ProgressFn | None = None,
    cluster: Cluster | None = None,
) -> BacktestOutcome:
    """Backtest `models` (catalog names, or instances by name) at `origins` (the dates, or how
    many, `step` days apart and ending `horizon` days before the last day).

    `attendances`, `sites` and `truth` are already the target's (`forecast.targets.target_frame`,
    `target_truth`); `target` only labels the outputs. `hierarchy` (a validated mapping) adds a
    backtest of every level on the default model (or the first one given), MinT-shrink served
    and bottom-up beside it; `sites` are the site-level series for it. `temperature` is used as
    perfect foresight. Models are closed when done.
    """
    started = time.perf_counter()
    built = build_models(list(models)) if not isinstance(models, Mapping) else dict(models)
    data = ModelInput(attendances, temperature)
    dates = _origin_dates(attendances, origins, horizon, step)
    result = run_backtest(data, _on(built, cluster), horizon, dates, refit_every, progress)
    for model in built.values():
        getattr(model, "close", lambda: None)()
    scored = with_mase_scale(result.forecasts, attendances)
    if temperature_label is None:
        temperature_label = "none" if temperature is None else "perfect foresight"
    summary = summarise(scored, result.timings, default_model=DEFAULT_MODEL, horizon=horizon,
                        origins=dates, elapsed_s=time.perf_counter() - started,
                        temperature=temperature_label, truth=truth)
    for name, entry in reliability(result.forecasts, attendances).items():
        summary["models"][name]["exceedance"] = entry
    summary["target"] = target
    levels = None
    if hierarchy is not None:
        engine = DEFAULT_MODEL if DEFAULT_MODEL in built else next(iter(built))
        levels = _hierarchy_backtest(data, hierarchy, sites, dates, horizon, refit_every,
                                     engine, target)
        summary["hierarchy"] = levels.summary
    return BacktestOutcome(result.forecasts, scored,
                           evaluate(scored, ALL_METRICS, by=["model"]), summary,
                           render_report(scored, summary), levels)


def _origin_dates(attendances: pl.DataFrame, origins: int | Sequence[date], horizon: int,
                  step: int) -> list[date]:
    if not isinstance(origins, int):
        return list(origins)
    last_day = attendances["date"].max()
    if not isinstance(last_day, date):
        raise ValueError("no attendances to take the origins from")
    return backtest_origins(last_day, horizon, origins, step)


def _on(models: dict[ModelName, Forecaster], cluster: Cluster | None
        ) -> dict[ModelName, Forecaster]:
    """The models as given, or the same models fitting and predicting on the Dask cluster."""
    if cluster is None:
        return models
    from forecast.scaleout import distribute

    return {name: distribute(model, cluster) for name, model in models.items()}


def _hierarchy_backtest(data: ModelInput, mapping: pl.DataFrame, sites: pl.DataFrame | None,
                        origins: list[date], horizon: int, refit_every: int, engine: ModelName,
                        target: Target) -> HierarchyBacktest:
    """Every level of the mapping over the series given (a trust whose sites do not all report
    stays a bottom series); `data` is already the target's, so the engine reads its usual
    column."""
    from forecast.hierarchy.backtest import run_hierarchy_backtest
    from forecast.hierarchy.structure import structure_for

    leaves = data
    if sites is not None:
        leaves = ModelInput(pl.concat([data.attendances, sites], how="diagonal_relaxed"),
                            data.temperature)
    result = run_hierarchy_backtest(leaves, structure_for(mapping, leaves), horizon, origins,
                                    engine=partial(build_model, engine),
                                    methods=["mint_shrink", "bottom_up"],
                                    refit_every=refit_every)
    return replace(result, summary={**result.summary, "target": target})
