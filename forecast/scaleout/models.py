"""Wrapping models to run on a cluster, and unwrapping fitted ones for the registry."""

from __future__ import annotations

from forecast.baselines._pertrust import PerTrustModel
from forecast.baselines.snaive import SeasonalNaive
from forecast.combination import SkillSelect
from forecast.lgbm import GlobalLightGBM
from forecast.protocol import Forecaster
from forecast.scaleout.baselines import DaskSeasonalNaive, PooledOn
from forecast.scaleout.cluster import Cluster
from forecast.scaleout.lgbm import DaskLightGBM

Distributed = DaskLightGBM | DaskSeasonalNaive | PooledOn


def distribute(model: Forecaster, cluster: Cluster) -> Forecaster:
    """The same model (fitted or not) with its fit and predict running on `cluster`."""
    if isinstance(model, Distributed):
        return model
    if isinstance(model, GlobalLightGBM):
        return DaskLightGBM(model, cluster)
    if isinstance(model, SeasonalNaive):
        return DaskSeasonalNaive(model, cluster)
    if isinstance(model, PerTrustModel):
        return PooledOn(model, cluster)
    if isinstance(model, SkillSelect):
        wrapped = SkillSelect({k: distribute(m, cluster) for k, m in model.members.items()},
                              model.name, model.margin)
        wrapped.choice = model.choice
        return wrapped
    raise TypeError(f"model {model.name!r} ({type(model).__name__}) cannot run on Dask")


def localise(model: Forecaster) -> Forecaster:
    """The ordinary model inside a distributed one: what the registry pickles."""
    if isinstance(model, Distributed):
        inner: Forecaster = model.inner
        return inner
    if isinstance(model, SkillSelect):
        local = SkillSelect({k: localise(m) for k, m in model.members.items()},
                            model.name, model.margin)
        local.choice = model.choice
        return local
    return model
