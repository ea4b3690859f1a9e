"""`aeforecast synth`: write realistic synthetic attendances, temperature and truth."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from contract.errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments and its handler."""
    parser.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="DIR",
        help="directory for the Parquet files (created if missing)",
    )
    _add_world_arguments(parser)
    _add_fault_arguments(parser.add_argument_group("faults, for testing robustness"))
    _add_temperature_arguments(parser.add_argument_group("temperature"))
    parser.set_defaults(handler=run)


def _add_world_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--trusts",
        type=int,
        default=150,
        metavar="N",
        help="number of trusts (default 150; past the 140 real ones, codes are generated)",
    )
    add("--years", type=int, default=6, metavar="Y", help="years of history (default 6)")
    add("--end", metavar="DATE", help="last day of data, YYYY-MM-DD (default yesterday)")
    add("--seed", type=int, default=42, metavar="S", help="random seed (default 42)")
    add(
        "--overdispersion",
        type=float,
        default=300.0,
        metavar="SIZE",
        help="negative binomial size, var = mu + mu^2/SIZE (default 300; 0 = Poisson)",
    )


def _add_fault_arguments(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add(
        "--gaps",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="fraction of trust-days dropped as absent rows, e.g. 0.01 (default 0)",
    )
    add(
        "--late-starts",
        type=int,
        default=0,
        metavar="N",
        help="trusts with only 2-9 months of history (default 0)",
    )
    add(
        "--level-shifts",
        type=int,
        default=0,
        metavar="N",
        help="trusts with a permanent ±10-25%% step (default 0)",
    )
    add(
        "--collapse",
        action="store_true",
        help="a covid-like national drop (~40%%) and 3-month recovery",
    )


def _add_temperature_arguments(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add(
        "--future-temperature-days",
        type=int,
        default=14,
        metavar="DAYS",
        help="days of temperature after --end, a forecast (default 14)",
    )
    add(
        "--temperature-forecast",
        action="store_true",
        help="also write temperature_forecast.parquet (issued daily, error grows with lead)",
    )


def run(args: argparse.Namespace) -> int:
    """Generate, write, and print a short summary on stderr."""
    from synthetic_data import SynthConfig, generate, write
    from synthetic_data.config import yesterday

    started = time.perf_counter()
    if args.overdispersion < 0:
        raise InputError(
            f"--overdispersion must be >= 0, 0 meaning Poisson (got {args.overdispersion})"
        )
    config = SynthConfig(
        trusts=args.trusts,
        years=args.years,
        end=_parse_end(args.end) if args.end else yesterday(),
        seed=args.seed,
        overdispersion=args.overdispersion or None,
        gaps=args.gaps,
        late_starts=args.late_starts,
        level_shifts=args.level_shifts,
        collapse=args.collapse,
        temperature_forecast=args.temperature_forecast,
        future_temperature_days=args.future_temperature_days,
    )
    data = generate(config)
    paths = write(data, args.out)
    elapsed = time.perf_counter() - started
    sys.stderr.write(
        f"synth: {config.trusts} trusts, {config.n_days} days ({config.start} to {config.end}), "
        f"{data.attendances.height:,} attendance rows in {elapsed:.1f}s\n"
    )
    for path in paths:
        sys.stderr.write(f"  wrote {path}\n")
    return 0


def _parse_end(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--end must be a date as YYYY-MM-DD (got {text!r})") from None
