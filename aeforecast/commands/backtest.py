"""`aeforecast backtest`: rolling-origin backtest writing forecasts, metrics and a report.

Only glue: parses the options, reads and validates the inputs, calls forecast.evaluation's
`backtest` and writes what it returns (all together or not at all), then prints a summary.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from aeforecast.commands._dask import add_dask_option, cluster_for
from contract.errors import InputError

if TYPE_CHECKING:
    from forecast.backtest import BacktestStep, ProgressFn
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
    from forecast.catalog import build_models, parse_model_list
    from forecast.evaluation import backtest
    from forecast.targets import parse_target, target_frame, target_truth

    target = parse_target(args.target)
    models = build_models(parse_model_list(args.models))
    series = target_frame(_read_attendances(args.attendances), target)
    if series.is_empty():
        raise InputError(f"{args.attendances}: no {target} to backtest on (the column is "
                         "absent or empty)")
    temperature = _read_temperature(args.temperature) if args.temperature else None
    truth = None
    if args.truth:
        try:
            truth = target_truth(_read_truth(args.truth), target)
        except ValueError as exc:
            raise InputError(f"{args.truth}: {exc}") from None
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"--out {args.out} exists and is not a directory")
    origins = _origins(args, series)
    mapping, sites = _hierarchy_inputs(args, target)
    label = f"perfect foresight from {args.temperature}" if args.temperature else "none"
    with _progress() as progress, cluster_for(args.dask) as cluster:
        outcome = backtest(series, temperature, models=models, origins=origins,
                           horizon=args.horizon, refit_every=args.refit_every,
                           hierarchy=mapping, sites=sites, truth=truth, target=target,
                           temperature_label=label, progress=progress, cluster=cluster)
    outcome.write(args.out)
    _print_summary(outcome.summary, args.out)
    return 0


def _hierarchy_inputs(args: argparse.Namespace, target: Target
                      ) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """The mapping for --hierarchy and the sites' series (taken as `target`'s, so a site
    without that target leaves its trust a bottom series); None for what is not asked for."""
    if args.hierarchy is None:
        return None, None
    from contract.hierarchy import read_hierarchy
    from forecast.targets import target_frame

    mapping = read_hierarchy(args.hierarchy)
    if args.sites is None:
        return mapping, None
    return mapping, target_frame(_read_attendances(args.sites), target)


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


def _print_summary(summary: dict[str, Any], out: Path) -> None:
    print(f"wrote {out}/forecasts.parquet, metrics.json, report.html")
    for name, entry in summary["models"].items():
        shown = "  ".join(f"{key} {_number(entry.get(key))}" for key in
                          ("mae", "mase", "coverage80", "coverage95", "fit_s", "predict_s"))
        print(f"  {name:10s} {shown}")


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"
