"""`--dask ADDRESS`, shared by `aeforecast batch` and `aeforecast backtest`.

Dask is an optional extra: it is imported only when the flag is given.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from contract.errors import InputError

if TYPE_CHECKING:
    from forecast.scaleout.cluster import Cluster

DASK_HELP = (
    "run on a Dask cluster: the address of its scheduler (tcp://HOST:8786), or 'local' for a "
    "LocalCluster on this machine (one single-threaded worker process per core). Trusts are "
    "partitioned over the workers; the global LightGBM is trained with lightgbm.dask. Needs "
    "the optional extra: pip install 'ae-forecast[dask]'"
)


def add_dask_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dask", metavar="ADDRESS", default=None, help=DASK_HELP)


@contextmanager
def cluster_for(address: str | None) -> Iterator[Cluster | None]:
    """None without `--dask`; otherwise a connected cluster, closed on the way out."""
    if address is None:
        yield None
        return
    try:
        from forecast.scaleout import connect
    except ImportError as exc:
        raise InputError(f"--dask needs Dask, which is not installed ({exc}); install the "
                         f"optional extra: pip install 'ae-forecast[dask]'") from None
    with connect(address) as cluster:
        yield cluster
