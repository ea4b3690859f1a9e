"""A small process pool shared by a model's fit and predict calls, started on first need.

`spawn`, not `fork`: Polars' thread pool does not survive a fork. Workers start with one BLAS
thread each: the Kalman filter multiplies tiny matrices, and OpenBLAS threads fighting over two
cores made fits twice as slow. Small jobs run in-process, where starting workers would cost
more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

Job = TypeVar("Job")
Out = TypeVar("Out")

THREAD_VARIABLES = ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"]


class WorkerPool:
    """Maps a module-level function over jobs, in `n_jobs` processes when there are enough."""

    def __init__(self, n_jobs: int = 2, min_jobs: int = 16) -> None:
        self.n_jobs = n_jobs
        self.min_jobs = min_jobs
        self._executor: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[[Job], Out], jobs: Sequence[Job]) -> list[Out]:
        if self.n_jobs <= 1 or len(jobs) < self.min_jobs:
            return [fn(job) for job in jobs]
        chunk = max(1, len(jobs) // (4 * self.n_jobs))
        return list(self._pool().map(fn, jobs, chunksize=chunk))

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("spawn")
            with _single_threaded_children():
                executor = ProcessPoolExecutor(self.n_jobs, mp_context=context)
                # Workers start on submit; start them all now, while the environment is set.
                for future in [executor.submit(_ready) for _ in range(self.n_jobs)]:
                    future.result()
            weakref.finalize(self, executor.shutdown, wait=False, cancel_futures=True)
            self._executor = executor
        return self._executor

    def __getstate__(self) -> dict[str, object]:
        return {"n_jobs": self.n_jobs, "min_jobs": self.min_jobs, "_executor": None}


def _ready() -> bool:
    return True


@contextmanager
def _single_threaded_children() -> Iterator[None]:
    """Processes started inside inherit one-thread BLAS settings; ours are restored after."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: "1" for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
