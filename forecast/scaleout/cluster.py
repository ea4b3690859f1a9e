"""Connecting to a Dask cluster and splitting a model's input into trust partitions on it."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import dask
import polars as pl
from distributed import Client, Future, LocalCluster
from distributed.objects import WhoHas

from contract.errors import InputError
from forecast.protocol import ModelInput, TrustCode

log = logging.getLogger(__name__)

LOCAL = "local"
Futures = list[Future[Any]]
PARTITIONS_PER_THREAD = 2  # a little more partitions than threads keeps every worker busy


class StableClient(Client):
    """A Dask client whose `who_has` lists keys, and each key's workers, by worker address.

    lightgbm.dask numbers LightGBM's machines in the order `who_has` lists the workers that hold
    the training rows, and a machine's number decides which features it finds the histogram
    bins of (from its own rows). Dask's own order is that of a set of keys, which Python's
    string hashing shuffles in every new process; by address, machine 0 is the worker
    `placement` gave the first trusts, on every run.
    """

    def who_has(self, futures: Any = None, **kwargs: Any) -> Any:
        held = super().who_has(futures, **kwargs)
        if not isinstance(held, dict):  # an asynchronous client's coroutine: left as it is
            return held
        listed = sorted(((key, sorted(workers)) for key, workers in held.items()),
                        key=lambda entry: (entry[1][:1], str(entry[0])))
        return WhoHas(listed)


@dataclass
class Partitions:
    """One future per trust partition (in trust order) and the worker that holds it."""

    futures: Futures
    workers: list[str]

    def __len__(self) -> int:
        return len(self.futures)


@dataclass
class Cluster:
    """A Dask client and how finely to partition trusts for it."""

    client: Client
    partitions: int
    _scattered: tuple[pl.DataFrame, Partitions] | None = field(default=None, repr=False)

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

    def scatter(self, data: ModelInput) -> Partitions:
        """Each trust partition's `ModelInput` sent to the worker `placement` gives it.

        The last input scattered is remembered: a fit and a predict on the same frame (the
        batch, a backtest origin) send it once.
        """
        if self._scattered is not None and self._scattered[0] is data.attendances:
            return self._scattered[1]
        parts = split_by_trust(data, self.partitions)
        workers = placement(self.client.nthreads(), len(parts))
        sent: dict[int, Future[Any]] = {}
        for worker in dict.fromkeys(workers):
            mine = [i for i, w in enumerate(workers) if w == worker]
            sent.update(zip(mine, self.client.scatter([parts[i] for i in mine],
                                                      workers=[worker], hash=False), strict=True))
        scattered = Partitions([sent[i] for i in range(len(parts))], workers)
        self._scattered = (data.attendances, scattered)
        return scattered

    def each(self, fn: Any, parts: Partitions, *more: list[Any], **kwargs: Any) -> Partitions:
        """`fn(part, ...)` for every partition, run on the worker that holds it (and only there:
        what LightGBM trains on must sit where `placement` put it, run after run)."""
        futures = [self.client.submit(fn, *args, workers=[worker], allow_other_workers=False,
                                      pure=False, **kwargs)
                   for worker, *args in zip(parts.workers, parts.futures, *more, strict=True)]
        return Partitions(futures, parts.workers)

    def broadcast(self, value: Any) -> Future[Any]:
        """`value` copied to every worker once (a model, the national features)."""
        [future] = self.client.scatter([value], broadcast=True, hash=False)
        return future  # type: ignore[no-any-return]

    def map(self, fn: Any, *iterables: Any, **kwargs: Any) -> Futures:
        return list(self.client.map(fn, *iterables, pure=False, **kwargs))

    def gather(self, futures: Futures | Partitions) -> list[Any]:
        if isinstance(futures, Partitions):
            futures = futures.futures
        return list(self.client.gather(futures))


def placement(nthreads: Mapping[str, int], partitions: int) -> list[str]:
    """The worker of each partition: neighbouring partitions together, workers in address order,
    each worker's share in proportion to its threads.

    Fixed, unlike Dask's round-robin scatter (which starts wherever the last scatter stopped), so
    every worker holds the same trusts, in the same order, on every run: LightGBM's
    data-parallel learner bags each worker's rows by their position there.
    """
    slots = [worker for worker in sorted(nthreads) for _ in range(max(1, nthreads[worker]))]
    return [slots[(2 * i + 1) * len(slots) // (2 * partitions)] for i in range(partitions)]


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
        # No work stealing: a stolen task could move LightGBM's rows off the worker `placement`
        # gave them (pinned tasks are never stolen, but lightgbm.dask adds unpinned ones).
        with _stdout_to_stderr(), dask.config.set({"distributed.scheduler.work-stealing": False}):
            local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                 dashboard_address=None, silence_logs=logging.ERROR)
        with local, StableClient(local) as client:
            yield _ready(client)
        return
    try:
        client = StableClient(address, timeout="10s")
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
