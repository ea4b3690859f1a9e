"""`python -m aeforecast.demo` (what `make demo` runs): from nothing to the API answering.

1. synthetic data for 30 trusts over 4 years, ending yesterday, into ./var/demo (kept when it
   already ends yesterday, so a re-run skips it);
2. ingest into the configured database (default ./var/aeforecast.db; re-ingesting is a no-op);
3. the nightly batch (a re-run the same day finds its run and stores nothing new);
4. a read key, printed inside a ready-to-paste curl command;
5. the API on http://127.0.0.1:8000 in the foreground, until Ctrl-C.

Each step runs the real `aeforecast` command, in this process.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from rich.console import Console

DATA = Path("var/demo")
console = Console(stderr=True, highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aeforecast.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--trusts", type=int, default=30, help="trusts to generate (default 30)")
    parser.add_argument("--years", type=int, default=4, help="years of history (default 4)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-serve", action="store_true", help="prepare everything, then stop")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if not _synth(args.trusts, args.years) or not _ingest():
        return 1
    batch_ran = _batch()
    key = _read_key()
    if key is None:
        return 1
    trust = _first_trust()
    console.print(f"[bold]ready in {time.monotonic() - started:.0f} s.[/bold] Try:\n")
    url = f"http://{args.host}:{args.port}"
    print(f'curl -H "Authorization: Bearer {key}" {url}/v1/trusts/{trust}/forecast', flush=True)
    console.print(f"\nAlso: {url}/readyz, {url}/v1/trusts (same header), {url}/docs, {url}/metrics")
    if not batch_ran:
        console.print("[yellow]no forecast run yet: /readyz answers 503 and forecasts 404[/yellow]")
    if args.no_serve:
        return 0
    console.print("[bold]step 5/5[/bold] starting the API\n")
    return _cli("serve", "--host", args.host, "--port", str(args.port))


def _cli(*args: str) -> int:
    from aeforecast.cli import main as cli_main

    try:
        return cli_main(list(args))
    except SystemExit as exc:  # argparse errors
        return int(exc.code or 0)


def _synth(trusts: int, years: int) -> bool:
    yesterday = date.today() - timedelta(days=1)
    attendances = DATA / "attendances.parquet"
    if attendances.exists() and _last_day(attendances) == yesterday:
        console.print(f"[bold]step 1/5[/bold] synthetic data in {DATA} is current (to {yesterday})")
        return True
    console.print(
        f"[bold]step 1/5[/bold] generating {trusts} trusts x {years} years of synthetic "
        f"attendances and temperature, to {yesterday}, into {DATA}"
    )
    code = _cli(
        "synth",
        "--out",
        str(DATA),
        "--trusts",
        str(trusts),
        "--years",
        str(years),
        "--end",
        yesterday.isoformat(),
    )
    return _ok(code, "synth")


def _ingest() -> bool:
    console.print("[bold]step 2/5[/bold] validating and storing it in the database")
    return _ok(
        _cli(
            "ingest",
            "--attendances",
            str(DATA / "attendances.parquet"),
            "--temperature",
            str(DATA / "temperature.parquet"),
        ),
        "ingest",
    )


def _batch() -> bool:
    if importlib.util.find_spec("aeforecast.commands.batch") is None:
        console.print("[yellow]step 3/5 skipped: `aeforecast batch` is not built yet[/yellow]")
        return False
    console.print("[bold]step 3/5[/bold] the nightly batch: fit, forecast 42 days, store the run")
    code = _cli("batch")
    if code not in (0, 1):  # 1: stored, but a trust needed a fallback model
        console.print(f"[red]batch failed (exit {code})[/red]")
    return _has_run()


def _read_key() -> str | None:
    from store import Store
    from store.keys import create_key

    console.print("[bold]step 4/5[/bold] creating a read-only API key")
    with Store.from_settings() as store:
        store.migrate()
        return create_key(store, "demo (python -m aeforecast.demo)", "read").token


def _has_run() -> bool:
    from store import Store
    from store.runs import latest_complete_run

    with Store.from_settings() as store:
        return latest_complete_run(store) is not None


def _first_trust() -> str:
    from store import Store

    with Store.from_settings() as store:
        codes = store.trust_codes()
    return codes[0] if codes else "RXX"


def _last_day(path: Path) -> date | None:
    import polars as pl

    try:
        last = pl.scan_parquet(path).select(pl.col("date").max()).collect().item()
    except (OSError, pl.exceptions.PolarsError):
        return None
    return last if isinstance(last, date) else None


def _ok(code: int, step: str) -> bool:
    if code != 0:
        console.print(f"[red]{step} failed (exit {code}); see the messages above[/red]")
    return code == 0


if __name__ == "__main__":
    sys.exit(main())
