"""`aeforecast keys`: create, list and revoke API keys.

`keys create` prints the new key once, alone on standard output (so `KEY=$(aeforecast keys
create ...)` works) and what it is on standard error; only a hash of it is stored.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from aeforecast.terminal import printable

if TYPE_CHECKING:
    from store import Store


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = sub.add_parser("create", help="issue a new key (shown once)")
    create.add_argument("--name", required=True, help="who or what the key is for")
    create.add_argument(
        "--scope",
        required=True,
        choices=["read", "write", "admin"],
        help="read < write < admin: read forecasts; also post actuals; everything",
    )
    create.add_argument(
        "--trust",
        action="append",
        metavar="CODE",
        dest="trusts",
        help="limit the key to this trust (repeat for several; default: every trust)",
    )
    create.add_argument(
        "--node",
        action="append",
        metavar="CODE",
        dest="trusts",
        help="limit the key to a node of the hierarchy (ICS, region, nation ENG/WLS/SCT/NIR, "
        "trust or site): it sees that node and every node below it, not those above",
    )
    create.add_argument(
        "--expires", type=_expiry, metavar="DATE|Nd", default=None,
        help="the key works through this day (YYYY-MM-DD, UTC) or for N days (e.g. 90d), then "
        "is refused as a revoked one is (default: never expires)",
    )
    create.set_defaults(handler=run_create)
    listing = sub.add_parser("list", help="list keys (never the secrets)")
    listing.set_defaults(handler=run_list)
    revoke = sub.add_parser(
        "revoke", help="revoke a key by its prefix (the 8 characters after aef_)"
    )
    revoke.add_argument("prefix", metavar="PREFIX")
    revoke.set_defaults(handler=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    from store import Store
    from store.keys import create_key

    with Store.from_settings() as store:
        store.migrate()
        known = set(store.trust_codes()) | _hierarchy_codes(store)
        created = create_key(store, args.name, args.scope, args.trusts, args.expires)
    record = created.record
    trusts = "every trust" if record.trusts is None else ", ".join(sorted(record.trusts))
    until = ("" if record.expires_at is None
             else f", expires {record.expires_at:%Y-%m-%d %H:%M} UTC")
    print(
        f"created key '{printable(record.name)}' (prefix {record.prefix}, scope {record.scope}, "
        f"{trusts}{until}); "
        "store it now, it is not shown again:",
        file=sys.stderr,
    )
    unknown = sorted((record.trusts or set()) - known)
    if unknown:
        print(f"warning: no data yet for trust(s) {', '.join(unknown)}", file=sys.stderr)
    print(created.token)
    return 0


def run_list(_args: argparse.Namespace) -> int:
    from store import Store
    from store.keys import list_keys

    with Store.from_settings() as store:
        store.migrate()
        keys = list_keys(store)
    print(f"{'prefix':10} {'scope':6} {'status':8} {'last used':20} {'expires':17} "
          f"{'trusts':20} name")
    for key in keys:
        used = key.last_used_at.strftime("%Y-%m-%d %H:%M:%S") if key.last_used_at else "never"
        expires = key.expires_at.strftime("%Y-%m-%d %H:%M") if key.expires_at else "never"
        trusts = "all" if key.trusts is None else ",".join(sorted(key.trusts))
        print(f"{key.prefix:10} {key.scope:6} {key.status():8} {used:20} {expires:17} "
              f"{trusts:20} {printable(key.name)}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from store import Store
    from store.keys import revoke_key

    with Store.from_settings() as store:
        store.migrate()
        record = revoke_key(store, args.prefix)
    print(f"revoked key {record.prefix} ('{printable(record.name)}')")
    return 0


def _hierarchy_codes(store: Store) -> set[str]:
    """Every code the stored hierarchy names, nations by their node codes."""
    from forecast.hierarchy.structure import NATION_CODES
    from store.hierarchy import read_hierarchy

    mapping = read_hierarchy(store)
    if mapping is None:
        return set()
    codes = {c for column in mapping.columns if column != "nation"
             for c in mapping[column].drop_nulls().to_list()}
    return codes | {NATION_CODES[n] for n in mapping["nation"].unique().to_list()}


def _expiry(text: str) -> datetime:
    """`2027-03-31`: the key works through that day (UTC); `90d`: for 90 days from now."""
    if re.fullmatch(r"[1-9][0-9]{0,4}d", text):
        return datetime.now(UTC) + timedelta(days=int(text[:-1]))
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is neither a date written YYYY-MM-DD nor a number of days such as 90d"
        ) from None
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
