"""The feature pipeline on Dask workers: per-trust work per partition, one national reduction."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl

from features.config import FeatureConfig
from features.pipeline import PreparedHistory, national_from_sums, national_sums, prepare
from forecast.protocol import ModelInput
from forecast.scaleout.cluster import Cluster, Partitions


def prepare_partitions(cluster: Cluster, parts: Partitions, since: date, end: date,
                       max_horizon: int, config: FeatureConfig) -> Partitions:
    """Futures of `PreparedHistory | None` (None: no actuals in the window), one per partition,
    each with the national features of *all* partitions, as `prepare` on one machine gives."""
    local = cluster.each(_prepare_local, parts, since=since, end=end, max_horizon=max_horizon,
                         config=config)
    sums = [s for s in cluster.gather(cluster.each(_national_sums, local, config=config))
            if s is not None]
    if not sums:
        return local
    national = national_from_sums(pl.concat(sums), config)
    return cluster.each(_with_national, local, national=cluster.broadcast(national))


def _prepare_local(part: ModelInput, since: date, end: date, max_horizon: int,
                   config: FeatureConfig) -> PreparedHistory | None:
    actuals = part.attendances.filter(pl.col("date").is_between(since, end))
    if actuals.is_empty():
        return None
    return prepare(actuals, part.temperature, end, max_horizon, part.nations, config)


def _national_sums(prepared: PreparedHistory | None, config: FeatureConfig
                   ) -> pl.DataFrame | None:
    return None if prepared is None else national_sums(prepared.history, config)


def _with_national(prepared: PreparedHistory | None, national: pl.DataFrame
                   ) -> PreparedHistory | None:
    return None if prepared is None else replace(prepared, national=national)
