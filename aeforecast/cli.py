"""The `aeforecast` command line: parses arguments, dispatches, maps errors to exit codes.

Exit codes (docs/usage.md): 0 success, 2 bad input or usage, 1 any other failure.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable, Sequence

from contract.errors import ForecastError, InputError

# Sub-command modules under aeforecast.commands, imported only when used so that
# `aeforecast synth` never pays for FastAPI or LightGBM imports.
COMMANDS: dict[str, str] = {
    "synth": "Write realistic synthetic attendances, temperature and truth.",
    "ingest": "Validate and store attendances and temperature in the database.",
    "batch": "The nightly job: forecast every trust and store one run atomically.",
    "backtest": "Rolling-origin backtest: forecasts, metrics and an HTML report.",
    "serve": "Run the REST API.",
    "keys": "Manage API keys.",
    "runs": "List forecast runs; withdraw a bad one; choose which one is served.",
    "thresholds": "Load capacity thresholds from a TOML file; list them.",
    "db": "The database schema: upgrade it, or show where it stands.",
    "completion": "Print a shell completion script (bash or zsh).",
}

Handler = Callable[[argparse.Namespace], int]
log = logging.getLogger("aeforecast")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aeforecast", description=__doc__)
    parser.add_argument("--version", action=_Version, nargs=0,
                        help="this version and the libraries it runs on, then exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        if importlib.util.find_spec(f"aeforecast.commands.{name}") is None:
            continue  # not built yet
        module = importlib.import_module(f"aeforecast.commands.{name}")
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(command_parser)
    return parser


class _Version(argparse.Action):
    """argparse's own version action wraps the line at the terminal's width."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        print(version_line())
        parser.exit()


def version_line() -> str:
    """`aeforecast 0.1.0 (python 3.11.7; polars 1.x, lightgbm 4.x, ...)`: what an operator
    quotes in a report, without importing the libraries."""
    from importlib.metadata import PackageNotFoundError, version

    def of(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    libraries = ", ".join(f"{name} {of(name)}" for name in
                          ("polars", "lightgbm", "statsmodels", "fastapi", "sqlalchemy"))
    python = ".".join(str(part) for part in sys.version_info[:3])
    return f"aeforecast {of('ae-forecast')} (python {python}; {libraries})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from aeforecast.logs import configure_logging

    configure_logging()
    handler: Handler = args.handler
    try:
        return handler(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ForecastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
