"""`aeforecast ingest`: validate attendances (temperature, hourly arrivals) files, then store them.

Every file is validated completely before the database is touched (it is not even created),
so a refused ingest leaves the database exactly as it was, and one report lists the problems
of both files. The store then writes everything in one transaction; re-ingesting the same
rows changes nothing.
"""

from __future__ import annotations

import argparse
import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from contract.errors import DataValidationError, InputError, Problem

if TYPE_CHECKING:
    import polars as pl

    from store import UpsertResult

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--attendances",
        type=Path,
        metavar="FILE",
        help="CSV or Parquet: trust_code, date, attendances[, admissions] (required unless "
        "only --hierarchy is given); site-level series go in under their 5-character site code",
    )
    parser.add_argument(
        "--hierarchy",
        type=Path,
        metavar="FILE",
        help="CSV or Parquet: site_code, trust_code, ics_code, region, nation; replaces the "
        "stored mapping",
    )
    parser.add_argument(
        "--temperature",
        type=Path,
        metavar="FILE",
        help="CSV or Parquet: trust_code, date, temperature_c (observed or forecast)",
    )
    parser.add_argument(
        "--hourly",
        type=Path,
        metavar="FILE",
        help="CSV or Parquet: trust_code, hour_start_utc, arrivals (optional; feeds the "
        "hour-by-hour forecast)",
    )
    parser.add_argument(
        "--as-of",
        type=iso_date,
        metavar="DATE",
        help="refuse attendances dated after this day (default: today)",
    )
    parser.set_defaults(handler=run)


def iso_date(text: str) -> date:
    """An argparse type: a YYYY-MM-DD date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date written YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    from contract.hierarchy import read_hierarchy

    if args.attendances is None and args.hierarchy is None:
        raise InputError("give --attendances FILE (and/or --hierarchy FILE)")
    mapping = None if args.hierarchy is None else read_hierarchy(args.hierarchy)
    if args.attendances is None:
        assert mapping is not None
        return _hierarchy_only(mapping)
    attendances, temperature, hourly = _validate(
        args.attendances, args.temperature, args.hourly, args.as_of
    )
    from store import Store  # imported once the input is good: a refusal is quicker
    from store.hierarchy import replace_hierarchy

    with Store.from_settings() as store:
        log.info("storing in %s", store.url)
        store.migrate()
        if mapping is not None:
            print(f"hierarchy: {mapping.height} rows read, "
                  f"{replace_hierarchy(store, mapping)} stored")
        result = store.ingest(
            attendances,
            temperature,
            source=str(args.attendances),
            temperature_source=None if args.temperature is None else str(args.temperature),
            arrivals_hourly=hourly,
            hourly_source=None if args.hourly is None else str(args.hourly),
        )
        from store.accuracy import update_live_accuracy  # score served forecasts

        log.info("live accuracy: %d trust-horizons scored", update_live_accuracy(store))
    _summary("attendances", attendances.height, result.attendances)
    if temperature is not None:
        _summary("temperature", temperature.height, result.temperature)
    if hourly is not None:
        _summary("hourly arrivals", hourly.height, result.arrivals_hourly)
    return 0


def _hierarchy_only(mapping: pl.DataFrame) -> int:
    """`ingest --hierarchy FILE` alone: the mapping replaces the stored one."""
    from store import Store
    from store.hierarchy import replace_hierarchy

    with Store.from_settings() as store:
        store.migrate()
        changed = replace_hierarchy(store, mapping)
    print(f"hierarchy: {mapping.height} rows read, {changed} stored")
    return 0


def _validate(
    attendances_path: Path, temperature_path: Path | None, hourly_path: Path | None,
    as_of: date | None,
) -> tuple[pl.DataFrame, pl.DataFrame | None, pl.DataFrame | None]:
    """Every file, completely; every problem of all of them in one error."""
    from contract.inputs import read_arrivals_hourly, read_attendances, read_temperature

    problems: list[Problem] = []
    total = 0  # problems found, which may be more than those listed
    attendances = temperature = None
    try:
        attendances = read_attendances(attendances_path, as_of=as_of, busiest=_busiest())
        log.info("validated %d attendance rows from %s", attendances.height, attendances_path)
    except DataValidationError as exc:
        problems, total = problems + exc.problems, total + exc.total
    if temperature_path is not None:
        try:
            temperature = read_temperature(temperature_path)
            log.info("validated %d temperature rows from %s", temperature.height, temperature_path)
        except DataValidationError as exc:
            problems, total = problems + exc.problems, total + exc.total
    hourly = None
    if hourly_path is not None:
        try:
            hourly = read_arrivals_hourly(hourly_path, as_of=as_of)
            log.info("validated %d hourly arrival rows from %s", hourly.height, hourly_path)
        except DataValidationError as exc:
            problems, total = problems + exc.problems, total + exc.total
    if problems or attendances is None:
        raise DataValidationError(problems, total)
    return attendances, temperature, hourly


def _busiest() -> dict[str, int]:
    """Each stored trust's busiest day, for the plausibility bound; none when the database is
    not there yet or cannot be reached (the absolute bound still holds; storing will say why)."""
    from contract.errors import StoreUnavailableError
    from store import Store
    from store.data_extent import busiest_days

    try:
        with Store.from_settings() as store:  # validating a first file never creates one
            return busiest_days(store) if store.exists() else {}
    except StoreUnavailableError as exc:
        log.info("no stored history to bound new counts by: %s", exc)
        return {}


def _summary(kind: str, read: int, result: UpsertResult | None) -> None:
    inserted, updated, unchanged = (
        (0, 0, 0) if result is None else (result.inserted, result.updated, result.unchanged)
    )
    print(
        f"{kind}: {read} rows read, {inserted} inserted, {updated} updated, {unchanged} unchanged"
    )
