"""`aeforecast runs`: list forecast runs, withdraw a bad one, choose which one is served.

Whoever can run the command can reach the database, so these are the operator's (admin's)
tools. A withdrawal or a choice is one transaction: the API switches from one whole run to
another within its refresh period (a second), never to a mix of the two.
"""

from __future__ import annotations

import argparse
import sys

from aeforecast.terminal import printable


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="runs_command", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="the newest runs, newest first, and which is served")
    listing.add_argument("--limit", type=int, default=20, metavar="N",
                         help="how many runs to show (default 20)")
    listing.set_defaults(handler=run_list)
    withdraw = sub.add_parser(
        "withdraw", help="take a complete run out of service for good (recorded, with why); "
        "the API serves the run it would have served had this one never existed")
    withdraw.add_argument("run_id", metavar="RUN_ID")
    withdraw.add_argument("--reason", required=True, metavar="TEXT",
                          help="why (kept with the run, shown by `runs list`)")
    withdraw.set_defaults(handler=run_withdraw)
    serve = sub.add_parser(
        "serve", help="serve this complete run until the next run completes (how a run for an "
        "older as-of, made later, is ever served: never silently)")
    serve.add_argument("run_id", metavar="RUN_ID")
    serve.set_defaults(handler=run_serve)


HEADER = ("run id", "target", "as of", "made (UTC)", "status", "trusts", "fallbacks", "stale",
          "data to", "served", "note")


def run_list(args: argparse.Namespace) -> int:
    from store import Store
    from store.run_admin import list_runs

    with Store.from_settings() as store:
        store.migrate()
        runs = list_runs(store, max(1, args.limit))
    if not runs:
        print("no forecast runs yet: run `aeforecast batch`", file=sys.stderr)
        return 0
    rows = [HEADER, *(
        (r.run_id, r.target, str(r.as_of), f"{r.created_at:%Y-%m-%d %H:%M}", r.status,
         str(r.trusts), str(r.fallbacks), str(r.stale), str(r.data_to or "-"),
         "yes" if r.served else "", printable(r.note)) for r in runs)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  "
              + row[-1])
    return 0


def run_withdraw(args: argparse.Namespace) -> int:
    from store import Store
    from store.run_admin import withdraw_run
    from store.runs import latest_complete_run

    with Store.from_settings() as store:
        store.migrate()
        withdraw_run(store, args.run_id, args.reason)
        served = {t: latest_complete_run(store, t) for t in ("attendances", "admissions")}
    print(f"withdrew run {args.run_id}: {printable(args.reason.strip())}", file=sys.stderr)
    for target, run in served.items():
        if run is not None:
            print(f"now serving {target} run {run.run_id} (as of {run.as_of})", file=sys.stderr)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from store import Store
    from store.run_admin import serve_run

    with Store.from_settings() as store:
        store.migrate()
        serve_run(store, args.run_id)
    print(f"serving run {args.run_id} until the next run completes", file=sys.stderr)
    return 0
