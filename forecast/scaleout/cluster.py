"""Connecting to a Dask cluster and splitting a model's input into trust partitions on it."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from distributed import Client, Future, LocalCluster

from aeforecast.errors import InputError
from forecast.protocol import ModelInput, TrustCode

log = logging.getLogger(__name__)

LOCAL = "local"
Futures = list[Future[Any]]
PARTITIONS_PER_THREAD = 2  # a little more partitions than threads keeps every worker busy


@dataclass
class Cluster:
    """A Dask client and how finely to partition trusts for it."""

    client: Client
    partitions: int
    _scattered: tuple[pl.DataFrame, Futures] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, client: Client) -> Cluster:
        threads = sum(client.nthreads().values())
        return cls(client, max(1, PARTITIONS_PER_THREAD * threads))

    def describe(self) -> dict[str, Any]:
        """For run metadata and logs: where the work ran."""
        workers = self.client.nthreads()
        scheduler = self.client.scheduler
        return {"scheduler": None if scheduler is None else scheduler.address,
                "workers": len(workers),
                "threads": sum(workers.values()), "partitions": self.partitions}

    def scatter(self, data: ModelInput) -> Futures:
        """One future per trust partition, each holding that partition's `ModelInput`.

        The last input scattered is remembered: a fit and a predict on the same frame (the
        batch, a backtest origin) send it once.
        """
        if self._scattered is not None and self._scattered[0] is data.attendances:
            return self._scattered[1]
        futures: Futures = self.client.scatter(split_by_trust(data, self.partitions), hash=False)
        self._scattered = (data.attendances, futures)
        return futures

    def broadcast(self, value: Any) -> Future[Any]:
        """`value` copied to every worker once (a model, the national features)."""
        [future] = self.client.scatter([value], broadcast=True, hash=False)
        return future  # type: ignore[no-any-return]

    def map(self, fn: Any, *iterables: Any, **kwargs: Any) -> Futures:
        return list(self.client.map(fn, *iterables, pure=False, **kwargs))

    def gather(self, futures: Futures) -> list[Any]:
        return list(self.client.gather(futures))


def split_by_trust(data: ModelInput, partitions: int) -> list[ModelInput]:
    """Contiguous slices of the sorted trust codes, each with its own temperature and nations."""
    trusts = sorted(data.attendances["trust_code"].unique().to_list())
    n = max(1, min(partitions, len(trusts)))
    chunks = [trusts[i * len(trusts) // n:(i + 1) * len(trusts) // n] for i in range(n)]
    return [_subset(data, chunk) for chunk in chunks]


def _subset(data: ModelInput, trusts: list[TrustCode]) -> ModelInput:
    wanted = pl.col("trust_code").is_in(trusts)
    temperature = None if data.temperature is None else data.temperature.filter(wanted)
    members = set(trusts)
    return ModelInput(data.attendances.filter(wanted), temperature,
                      {t: n for t, n in data.nations.items() if t in members})


@contextmanager
def connect(address: str, workers: int | None = None) -> Iterator[Cluster]:
    """A client for `address` (a scheduler, e.g. tcp://10.0.0.5:8786), or for a LocalCluster
    on this machine when `address` is "local" (one single-threaded worker process per core)."""
    if address == LOCAL:
        # No dashboard: it needs bokeh and would take port 8787 from whoever else runs one.
        with _stdout_to_stderr():
            local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                 dashboard_address=None, silence_logs=logging.ERROR)
        with local, Client(local) as client:
            yield _ready(client)
        return
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"--dask {address}: cannot reach a Dask scheduler there ({exc}); "
                         f"give tcp://HOST:PORT of a running scheduler, or 'local'") from None
    with client:
        yield _ready(client)


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Worker processes started inside write to stderr: LightGBM's network code prints there
    whatever its verbosity, and a command's stdout carries its result (the batch's run id)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _ready(client: Client) -> Cluster:
    cluster = Cluster.of(client)
    log.info("dask cluster ready", extra={"fields": cluster.describe()})
    return cluster
