"""`aeforecast batch`: the nightly job. Forecast every trust, store one run atomically.

Exit codes: 0 the run is stored and every trust was forecast by the model (or an identical run
already existed: its id is printed, nothing is stored); 1 the run is stored and complete but at
least one trust was served by a fallback or left out because its data is stale (each named on
stderr), or the batch failed and stored nothing; 2 bad usage or input (an --as-of past the end
of the data, among others). The run id is printed on stdout whenever a run is served. Where
admissions are stored, a second run forecasts them (`admissions run <id>` on stderr); the
attendances run is stored first and stands whatever happens to the admissions one.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from aeforecast.commands._dask import add_dask_option, cluster_for
from aeforecast.commands.ingest import iso_date

if TYPE_CHECKING:
    from batch.runner import Progress
    from store import Store

log = logging.getLogger(__name__)

RETRAIN_HELP = (
    "auto (default): train a new model version when none exists that was trained on data up to "
    "the as-of date, when the newest one's data ends 7 or more days before it, or when it was "
    "built for a shorter horizon; otherwise load the newest version and only predict (models "
    "update their state from new actuals without refitting). always: train every time. "
    "never: only load an existing version."
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Idempotent: a rerun for the same as-of date, data, model and horizon prints the "
        "existing run id and exits 0. Exit 1 when the run was stored complete but a trust was "
        "served by a fallback (seasonal naive, or a flat mean) because the model could not "
        "forecast it, or left out because its data ends more than AEF_STALE_AFTER_DAYS "
        "(default 3) before the as-of date while other trusts' data reaches it; exit 1 also "
        "when the batch failed, in which case nothing was stored and the previous run is still "
        "served. Exit 2 for bad usage, and for an --as-of more than AEF_STALE_AFTER_DAYS after "
        "the newest data."
    )
    parser.add_argument("--horizon", type=_horizon, default=42, metavar="DAYS",
                        help="days to forecast after the as-of date (default 42)")
    parser.add_argument("--as-of", type=iso_date, default=None, metavar="DATE",
                        help="use actuals up to this day, forecast the days after (default: the "
                             "newest day in the data, so data through yesterday forecasts today)")
    parser.add_argument("--retrain", choices=["auto", "always", "never"], default="auto",
                        help=RETRAIN_HELP)
    parser.add_argument("--no-admissions", dest="admissions", action="store_false",
                        help="forecast attendances only, even where admissions are stored "
                             "(by default a second run forecasts admissions when any exist)")
    parser.add_argument("--model", default=None, metavar="NAME",
                        help="the model to serve (default: the project's default model)")
    add_dask_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from batch.registry import ModelRegistry
    from batch.runner import BatchOptions, run_batch
    from contract.settings import get_settings
    from forecast.catalog import DEFAULT_MODEL, build_models
    from store import Store

    settings = get_settings()
    model = args.model or DEFAULT_MODEL
    build_models([model])  # an unknown name is bad usage (exit 2), before anything is touched
    registry = ModelRegistry(settings.model_dir)
    with _terminate_gracefully(), Store.from_settings(settings) as store, \
            _progress() as report, cluster_for(args.dask) as cluster:
        store.migrate()
        options = BatchOptions(as_of=args.as_of or _default_as_of(store), horizon=args.horizon,
                               retrain=args.retrain, model=model,
                               stale_after_days=settings.stale_after_days)
        result = run_batch(store, registry, options, report, cluster)
        print(result.run_id, flush=True)  # the attendances run is served whatever comes next
        admissions = None
        if args.admissions and store.has_admissions(options.as_of):
            admissions = run_batch(store, registry, replace(options, target="admissions"),
                                   report, cluster)
            print(f"admissions run {admissions.run_id}", file=sys.stderr)
    status = 0
    for target, outcome in (("attendances", result), ("admissions", admissions)):
        if outcome is None:
            continue
        what = "" if target == "attendances" else f"{target}: "
        if outcome.fallbacks:
            print(f"warning: {what}{len(outcome.fallbacks)} trust(s) served by a fallback: "
                  f"{', '.join(sorted(outcome.fallbacks))}", file=sys.stderr)
            status = 1
        named_by = ((outcome.held_back, "with new days held back, far beyond their history"),
                    (outcome.stale, "not forecast, their data is stale"))
        for named, heading in named_by:
            if named:
                _warn_each(f"{what}{len(named)} trust(s) {heading}", named)
                status = 1
    _warn_if_old(options.as_of, args.as_of is None, settings.stale_after_days)
    return status


def _warn_each(heading: str, reasons: dict[str, str]) -> None:
    """`warning: <heading>:` then each trust with its reason, one a line."""
    print(f"warning: {heading}:", file=sys.stderr)
    for code, reason in sorted(reasons.items()):
        print(f"  {code}: {reason}", file=sys.stderr)


def _warn_if_old(as_of: date, defaulted: bool, limit_days: int) -> None:
    """Say so when the whole store is behind the clock: the run is stored and served, but
    flagged stale (and `/readyz` answers 503), so nobody should plan on it as current."""
    age = (date.today() - as_of).days
    if not defaulted or age <= limit_days:
        return
    first = as_of + timedelta(days=1)
    print(f"warning: the newest data ends {as_of}, {age} days before today (limit "
          f"{limit_days}, AEF_STALE_AFTER_DAYS): the run forecasts from {first} and is served "
          "flagged stale; ingest newer data", file=sys.stderr)


def _default_as_of(store: Store) -> date:
    """The newest day in the data (not the calendar's today)."""
    from contract.errors import NotFoundError
    from store.data_extent import newest_data_day

    newest = newest_data_day(store)
    if newest is None:
        raise NotFoundError(f"no attendances stored in {store.url}: run `aeforecast ingest` "
                            "first")
    return newest


def _horizon(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of days") from None
    if not 1 <= value <= 366:
        raise argparse.ArgumentTypeError(f"the horizon must be 1 to 366 days, got {value}")
    return value


@contextmanager
def _terminate_gracefully() -> Iterator[None]:
    """SIGTERM (systemd stop, timeout) unwinds like Ctrl-C, so the run is marked failed."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _progress() -> Iterator[Progress]:
    """A rich progress bar for a person at a terminal; log lines (JSON) for everyone else."""
    from batch.runner import PHASES

    if not sys.stderr.isatty():
        def log_phase(phase: str, text: str) -> None:
            log.info(text, extra={"fields": {"phase": phase}})

        yield log_phase
        return
    from rich.logging import RichHandler
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    root = logging.getLogger()
    saved = root.handlers[:]
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  transient=False) as bar:
        root.handlers[:] = [RichHandler(console=bar.console, show_path=False)]  # above the bar
        task = bar.add_task("batch", total=len(PHASES))

        def show(phase: str, text: str) -> None:
            bar.update(task, completed=PHASES.index(phase), description=text)

        try:
            yield show
            bar.update(task, completed=len(PHASES), description="done")
        finally:
            root.handlers[:] = saved
