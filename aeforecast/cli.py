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
}

Handler = Callable[[argparse.Namespace], int]
log = logging.getLogger("aeforecast")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aeforecast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        if importlib.util.find_spec(f"aeforecast.commands.{name}") is None:
            continue  # not built yet
        module = importlib.import_module(f"aeforecast.commands.{name}")
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(command_parser)
    return parser


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
