"""Wrapping models to run on a cluster, and unwrapping fitted ones for the registry."""

from __future__ import annotations

from datetime import date

import polars as pl

from forecast.baselines._pertrust import PerTrustModel
from forecast.baselines.snaive import SeasonalNaive
from forecast.combination import SkillSelect
from forecast.lgbm import GlobalLightGBM
from forecast.protocol import Forecaster, ModelInput
from forecast.scaleout.baselines import DaskSeasonalNaive, PooledOn
from forecast.scaleout.cluster import Cluster
from forecast.scaleout.lgbm import DaskLightGBM

Distributed = DaskLightGBM | DaskSeasonalNaive | PooledOn


def distribute(model: Forecaster, cluster: Cluster) -> Forecaster:
    """The same model (fitted or not) with its fit and predict running on `cluster`."""
    if isinstance(model, Distributed | SelectOnCluster):
        return model
    if isinstance(model, GlobalLightGBM):
        return DaskLightGBM(model, cluster)
    if isinstance(model, SeasonalNaive):
        return DaskSeasonalNaive(model, cluster)
    if isinstance(model, PerTrustModel):
        return PooledOn(model, cluster)
    if isinstance(model, SkillSelect):
        return SelectOnCluster(model, cluster)
    raise TypeError(f"model {model.name!r} ({type(model).__name__}) cannot run on Dask")


class SelectOnCluster(SkillSelect):
    """A `SkillSelect` whose members run on the cluster; what it learns (the per-trust choice
    when fitted, the member that served each trust when predicting) lands on the original."""

    def __init__(self, original: SkillSelect, cluster: Cluster) -> None:
        super().__init__({k: distribute(m, cluster) for k, m in original.members.items()},
                         original.name, original.margin, original.pinned)
        self.choice = original.choice
        self.original = original

    def fit(self, data: ModelInput) -> None:
        super().fit(data)
        self.original.choice = self.choice

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        forecast = super().predict(data, origin, horizon)
        self.original.last_members = self.last_members
        return forecast


def localise(model: Forecaster) -> Forecaster:
    """The ordinary model inside a distributed one: what the registry pickles."""
    if isinstance(model, Distributed):
        inner: Forecaster = model.inner
        return inner
    if isinstance(model, SelectOnCluster):
        return model.original
    return model
