"""`aeforecast backtest`: rolling-origin backtest writing forecasts, metrics and a report.

Only glue: reads and validates the inputs, then calls forecast.backtest, forecast.metrics,
forecast.summary and forecast.report.html. Outputs appear all together or not at all.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from aeforecast.commands._dask import add_dask_option, cluster_for
from contract.errors import InputError

if TYPE_CHECKING:
    from forecast.backtest import BacktestStep, ProgressFn
    from forecast.hierarchy.backtest import HierarchyBacktest
    from forecast.protocol import Forecaster, ModelInput, ModelName
    from forecast.scaleout.cluster import Cluster
    from forecast.targets import Target

log = logging.getLogger(__name__)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--attendances", required=True, type=Path, metavar="FILE",
                        help="attendances CSV or Parquet (docs/usage.md)")
    parser.add_argument("--temperature", type=Path, metavar="FILE",
                        help="temperature CSV or Parquet; used as perfect foresight")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="writes forecasts.parquet, metrics.json and report.html here")
    parser.add_argument("--horizon", type=_positive_int, default=14, help="days ahead (14)")
    parser.add_argument("--origins", type=_positive_int, default=26, help="origins (26)")
    parser.add_argument("--step", type=_positive_int, default=7, help="days between origins (7)")
    parser.add_argument("--models", metavar="NAME,NAME",
                        help="models to compare (default: the catalog's backtest set)")
    parser.add_argument("--hierarchy", type=Path, metavar="FILE",
                        help="also backtest every level of this mapping (site, trust, ICS, "
                        "region, nation), unreconciled against reconciled")
    parser.add_argument("--sites", type=Path, metavar="FILE",
                        help="site-level attendances (series under 5-character site codes), "
                        "for --hierarchy")
    parser.add_argument("--truth", type=Path, metavar="FILE",
                        help="truth.parquet from `aeforecast synth`: adds the oracle's MAE")
    parser.add_argument("--target", choices=["attendances", "admissions"],
                        default="attendances",
                        help="what to forecast (attendances); admissions need that column")
    parser.add_argument("--refit-every", type=_positive_int, default=4, metavar="N",
                        help="refit models every N origins; predict updates state between (4)")
    add_dask_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from forecast.backtest import run_backtest
    from forecast.catalog import DEFAULT_MODEL, build_models, parse_model_list
    from forecast.metrics import with_mase_scale
    from forecast.protocol import ModelInput
    from forecast.reliability import reliability
    from forecast.report.hierarchy import hierarchy_section
    from forecast.report.html import render_report
    from forecast.summary import summarise
    from forecast.targets import parse_target, target_frame, target_truth

    started = time.perf_counter()
    target = parse_target(args.target)
    models = build_models(parse_model_list(args.models))
    series = target_frame(_read_attendances(args.attendances), target)
    if series.is_empty():
        raise InputError(f"{args.attendances}: no {target} to backtest on (the column is "
                         "absent or empty)")
    data = ModelInput(series,
                      _read_temperature(args.temperature) if args.temperature else None)
    truth = None
    if args.truth:
        try:
            truth = target_truth(_read_truth(args.truth), target)
        except ValueError as exc:
            raise InputError(f"{args.truth}: {exc}") from None
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out} exists and is not a directory")
    origins = _origins(args, data.attendances)
    with _progress() as progress, cluster_for(args.dask) as cluster:
        result = run_backtest(data, _on(models, cluster), args.horizon, origins,
                              args.refit_every, progress)
    for model in models.values():
        getattr(model, "close", lambda: None)()
    forecasts = with_mase_scale(result.forecasts, data.attendances)
    temperature = f"perfect foresight from {args.temperature}" if args.temperature else "none"
    summary = summarise(forecasts, result.timings, default_model=DEFAULT_MODEL,
                        horizon=args.horizon, origins=origins,
                        elapsed_s=time.perf_counter() - started, temperature=temperature,
                        truth=truth)
    for name, entry in reliability(result.forecasts, data.attendances).items():
        summary["models"][name]["exceedance"] = entry
    summary["target"] = target
    html = render_report(forecasts, summary)
    outputs: dict[str, Callable[[Path], object]] = {}
    if args.hierarchy is not None:
        engine = DEFAULT_MODEL if DEFAULT_MODEL in models else next(iter(models))
        levels = _hierarchy_backtest(args, data, origins, engine, target)
        summary["hierarchy"] = levels.summary
        html = html.replace("</body>", hierarchy_section(levels.summary) + "</body>")
        outputs["hierarchy_forecasts.parquet"] = levels.forecasts.write_parquet
    _write_outputs(args.out, {
        **outputs,
        "forecasts.parquet": lambda p: result.forecasts.write_parquet(p),
        "metrics.json": lambda p: p.write_text(json.dumps(summary, indent=2) + "\n"),
        "report.html": lambda p: p.write_text(html, encoding="utf-8"),
    })
    _print_summary(summary, args.out)
    return 0


def _on(models: dict[ModelName, Forecaster], cluster: Cluster | None
        ) -> dict[ModelName, Forecaster]:
    """The models as given, or the same models fitting and predicting on the Dask cluster."""
    if cluster is None:
        return models
    from forecast.scaleout import distribute

    return {name: distribute(model, cluster) for name, model in models.items()}


def _hierarchy_backtest(args: argparse.Namespace, data: ModelInput, origins: list[date],
                        engine: str, target: Target) -> HierarchyBacktest:
    """Every level of the mapping, with the sites' series if given; the engine is the default
    model if it is backtested, else the first model listed. MinT-shrink is served; bottom-up
    is scored beside it. `data` is already `target`'s (`target_frame`); the sites' file is
    taken the same way, so a site without that target leaves its trust a bottom series."""
    from functools import partial

    from batch.hierarchy_run import build_engine, structure_for
    from contract.hierarchy import read_hierarchy
    from forecast.hierarchy.backtest import run_hierarchy_backtest
    from forecast.protocol import ModelInput
    from forecast.targets import target_frame

    mapping = read_hierarchy(args.hierarchy)
    leaves = ModelInput(data.attendances, data.temperature)
    if args.sites is not None:
        sites = target_frame(_read_attendances(args.sites), target)
        leaves = ModelInput(pl.concat([data.attendances, sites], how="diagonal_relaxed"),
                            data.temperature)
    result = run_hierarchy_backtest(leaves, structure_for(mapping, leaves), args.horizon,
                                    origins, engine=partial(build_engine, engine),
                                    methods=["mint_shrink", "bottom_up"],
                                    refit_every=args.refit_every)
    return replace(result, summary={**result.summary, "target": target})


def _origins(args: argparse.Namespace, attendances: pl.DataFrame) -> list[date]:
    """The contract's origins, refused when the data cannot hold them all."""
    from forecast.backtest import backtest_origins

    if attendances.is_empty():
        raise InputError(f"{args.attendances}: no attendances to backtest on")
    first_day, last_day = attendances["date"].min(), attendances["date"].max()
    assert isinstance(first_day, date) and isinstance(last_day, date)
    origins = backtest_origins(last_day, args.horizon, args.origins, args.step)
    if origins[0] <= first_day:
        raise InputError(f"{args.attendances}: data from {first_day} to {last_day} is too short "
                         f"for {args.origins} origins {args.step} days apart and horizon "
                         f"{args.horizon}; the first origin would be {origins[0]}")
    log.info("backtest: %d origins from %s to %s, horizon %d",
             len(origins), origins[0], origins[-1], args.horizon)
    return origins


def _read_attendances(path: Path) -> pl.DataFrame:
    try:
        from contract.inputs import read_attendances
    except ImportError:  # the validating reader has not landed yet
        return _read_plain(path, ["trust_code", "date", "attendances"])
    return read_attendances(path)


def _read_temperature(path: Path) -> pl.DataFrame:
    try:
        from contract.inputs import read_temperature
    except ImportError:
        return _read_plain(path, ["trust_code", "date", "temperature_c"])
    return read_temperature(path)


def _read_truth(path: Path) -> pl.DataFrame:
    frame = _read_plain(path, ["trust_code", "date"])
    if "expected" not in frame.columns and "median" not in frame.columns:
        raise InputError(f"{path}: needs a column 'expected' or 'median' (from aeforecast synth)")
    return frame


def _read_plain(path: Path, columns: list[str]) -> pl.DataFrame:
    """A CSV or Parquet file with the given columns, dates parsed; anything else is refused."""
    try:
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_csv(path, try_parse_dates=True)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(f"{path}: cannot read the file ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {missing}; found {frame.columns}")
    try:
        return frame.with_columns(pl.col("date").cast(pl.Date),
                                  pl.col("trust_code").cast(pl.String))
    except pl.exceptions.PolarsError as exc:
        raise InputError(f"{path}: column 'date' must hold dates YYYY-MM-DD ({exc})") from None


@contextmanager
def _progress() -> Iterator[ProgressFn]:
    """A rich progress bar for a person at a terminal, log lines for everyone else."""
    if not sys.stderr.isatty():
        def log_step(step: BacktestStep) -> None:
            log.info("backtest %s origin %s (%d/%d)", step.model, step.origin, step.done,
                     step.total)

        yield log_step
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("backtest", total=None)

        def advance(step: BacktestStep) -> None:
            bar.update(task, completed=step.done, total=step.total,
                       description=f"{step.model} {step.origin}")

        yield advance


def _write_outputs(out: Path, writers: dict[str, Callable[[Path], Any]]) -> None:
    """Write every file in a temporary directory inside `out`, then move them into place."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".backtest-", dir=out))
    try:
        for name, write in writers.items():
            write(staging / name)
        for name in writers:
            os.replace(staging / name, out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _print_summary(summary: dict[str, Any], out: Path) -> None:
    print(f"wrote {out}/forecasts.parquet, metrics.json, report.html")
    for name, entry in summary["models"].items():
        shown = "  ".join(f"{key} {_number(entry.get(key))}" for key in
                          ("mae", "mase", "coverage80", "coverage95", "fit_s", "predict_s"))
        print(f"  {name:10s} {shown}")


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"
