"""`aeforecast thresholds`: load capacity thresholds from a TOML file, list them.

`load` checks the whole file first (trust codes known, names and counts valid) and then replaces
the thresholds of the trusts it lists in one transaction; nothing is written if anything is off.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from contract.errors import InputError


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="thresholds_command", required=True, metavar="ACTION")
    load = sub.add_parser("load", help="replace the listed trusts' thresholds from a TOML file")
    load.add_argument("file", nargs="?", type=Path, metavar="FILE",
                      help="TOML: [RXX] then name = attendances lines (default: "
                           "AEF_THRESHOLDS_FILE)")
    load.set_defaults(handler=run_load)
    listing = sub.add_parser("list", help="print every trust's thresholds")
    listing.set_defaults(handler=run_list)


def run_load(args: argparse.Namespace) -> int:
    from contract.settings import get_settings
    from store import Store
    from store.thresholds import read_file, store_file

    path: Path | None = args.file or get_settings().thresholds_file
    if path is None:
        raise InputError("give a FILE or set AEF_THRESHOLDS_FILE")
    sets = read_file(path)  # a bad file is refused before the database is even opened
    with Store.from_settings() as store:
        store.migrate()
        store_file(store, path, sets)
    count = sum(len(v) for v in sets.values())
    print(f"loaded {count} threshold(s) for {len(sets)} trust(s) from {path}")
    return 0


def run_list(_args: argparse.Namespace) -> int:
    from store import Store
    from store.thresholds import read_thresholds

    with Store.from_settings() as store:
        store.migrate()
        for code in store.trust_codes():
            for item in read_thresholds(store, code):
                print(f"{code}\t{item.name}\t{item.attendances}\t{item.source}")
    return 0
