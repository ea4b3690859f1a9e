"""`aeforecast serve`: run the REST API under uvicorn.

The database is migrated once here, before any worker starts (idempotent). Each worker builds
its own app through `api.app:create_app` (a factory: nothing at import time), with its own store
and in-memory cache of the served run. With `--workers` above 1, Prometheus counters are summed
over workers through a temporary PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from typing import Any

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes (default 1; about one per core)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="proxies whose X-Forwarded-For/-Proto to believe: addresses or CIDR networks, "
        "comma-separated (default AEF_FORWARDED_ALLOW_IPS, else 127.0.0.1). The client is the "
        "right-most address that is not one of them; with '*' only the hop the nearest proxy "
        "appended is believed",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from api.forwarded import TrustedProxies
    from api.http_limits import bounded_protocol
    from contract.errors import InputError, StoreUnavailableError
    from contract.settings import get_settings
    from store import Store

    if args.workers < 1:
        raise InputError("--workers must be at least 1")
    if args.forwarded_allow_ips is not None:  # every worker's app reads it from its settings
        TrustedProxies.parse(args.forwarded_allow_ips)  # a typo is bad usage, before starting
        os.environ["AEF_FORWARDED_ALLOW_IPS"] = args.forwarded_allow_ips
        get_settings.cache_clear()
    settings = get_settings()
    TrustedProxies.parse(settings.forwarded_allow_ips)
    try:
        with Store.from_settings(settings) as store:
            store.migrate()
            log.info("database %s is migrated", store.url)
    except StoreUnavailableError as exc:
        log.warning("%s; starting anyway, /readyz answers 503 until it is reachable", exc)
    with tempfile.TemporaryDirectory(prefix="aef-metrics-") as metrics_dir:
        if args.workers > 1:
            os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)
        print(f"serving on http://{args.host}:{args.port} (Ctrl-C stops)", file=sys.stderr)
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            access_log=False,  # our middleware writes one JSON line per request, with its id
            log_config=log_config(settings.log_level),
            proxy_headers=False,  # api.forwarded reads them (uvicorn's believes a client under '*')
            http=bounded_protocol(settings.max_header_bytes, settings.request_timeout_seconds,
                                  settings.request_timeout_seconds),
            server_header=False,
        )
    return 0


def log_config(level: str) -> dict[str, Any]:
    """The same logging as the CLI's, set up again in every worker process."""
    formatter: dict[str, Any] = (
        {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
        if sys.stderr.isatty()
        else {"()": "aeforecast.logs.JsonFormatter"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "main",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }
