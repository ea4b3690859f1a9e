"""Per-trust baselines on Dask: seasonal naive per partition, ETS/ARIMAX fits per trust.

Residuals come back to the client and are pooled into one calibrator, as on one machine, so
intervals do not depend on how trusts were partitioned.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import numpy as np
import polars as pl

from forecast.baselines._panel import calibrate, to_panel
from forecast.baselines._pertrust import PerTrustModel
from forecast.baselines.snaive import SeasonalNaive, snaive_residuals
from forecast.intervals import FloatArray, IntArray
from forecast.protocol import FORECAST_SCHEMA, ModelInput, empty_forecast
from forecast.scaleout.cluster import Cluster

Job = TypeVar("Job")
Out = TypeVar("Out")
Residuals = tuple[IntArray, FloatArray, FloatArray]


@dataclass
class DaskSeasonalNaive:
    """Seasonal naive whose holdout and forecasts are computed partition by partition."""

    inner: SeasonalNaive
    cluster: Cluster

    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.inner.name

    @property
    def holdout_mae(self) -> dict[str, float]:
        return self.inner.holdout_mae

    def fit(self, data: ModelInput) -> None:
        end = data.attendances["date"].max()
        assert isinstance(end, date), "fit() needs actuals"
        parts = self.cluster.gather(self.cluster.each(
            _snaive_holdout, self.cluster.scatter(data), end=end,
            days=self.inner.calibration_days))
        pooled = tuple(np.concatenate([p[0][i] for p in parts]) for i in range(3))
        self.inner._calibrator = calibrate(*pooled)
        self.inner.holdout_mae = {k: v for p in parts for k, v in p[1].items()}

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        frames = [f for f in self.cluster.gather(self.cluster.each(
            _snaive_forecast, self.cluster.scatter(data), model=self.cluster.broadcast(self.inner),
            origin=origin, horizon=horizon)) if f.height]
        return pl.concat(frames).sort("trust_code", "horizon") if frames else empty_forecast()


def _snaive_holdout(part: ModelInput, end: date, days: int
                    ) -> tuple[Residuals, dict[str, float]]:
    """Every partition's panel ends on the same day, so the rolling origins are the same dates."""
    return snaive_residuals(to_panel(part.attendances, "attendances", end=end), days)


def _snaive_forecast(part: ModelInput, model: SeasonalNaive, origin: date, horizon: int
                     ) -> pl.DataFrame:
    return model.predict(part, origin, horizon).cast(FORECAST_SCHEMA)  # type: ignore[arg-type]


class DaskPool:
    """The `WorkerPool` interface over a Dask cluster: per-trust jobs mapped over its workers."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def map(self, fn: Callable[[Job], Out], jobs: Sequence[Job]) -> list[Out]:
        return self.cluster.gather(self.cluster.map(fn, list(jobs))) if jobs else []

    def close(self) -> None:
        """The cluster outlives the model: nothing to stop."""


@dataclass
class PooledOn:
    """A per-trust model (ETS, ARIMAX) running its fit and predict jobs on the cluster."""

    inner: PerTrustModel
    cluster: Cluster

    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.inner.name

    def fit(self, data: ModelInput) -> None:
        with self._on_cluster():
            self.inner.fit(data)

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        with self._on_cluster():
            return self.inner.predict(data, origin, horizon)

    @contextmanager
    def _on_cluster(self) -> Iterator[None]:
        """The model's own process pool is set aside (and kept, for a later local use)."""
        saved = self.inner._pool
        self.inner._pool = DaskPool(self.cluster)  # type: ignore[assignment]
        try:
            yield
        finally:
            self.inner._pool = saved
