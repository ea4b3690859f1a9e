"""The global LightGBM fitted and served on Dask: rows built per partition, trees by lightgbm.dask.

Mirrors `GlobalLightGBM.fit` step by step (the same plan, windows, offset, early model for the
split-conformal calibration, refit rule) so the fitted `inner` model is an ordinary
`GlobalLightGBM`: stored by the registry and loaded later without Dask.
"""

from __future__ import annotations

import sys
import warnings
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import dask.array as da
import lightgbm as lgb
import numpy as np
import polars as pl
from dask.delayed import delayed
from lightgbm.dask import DaskLGBMRegressor

from features.pipeline import PreparedHistory, feature_names, training_rows
from forecast.intervals import ResidualCalibrator
from forecast.lgbm import CATEGORICAL, LOOKBACK_DAYS, GlobalLightGBM
from forecast.protocol import FORECAST_SCHEMA, ModelInput, empty_forecast
from forecast.scaleout.cluster import Cluster, Futures
from forecast.scaleout.features import prepare_partitions

# lightgbm.dask sets these itself (threads per worker, the machine list) and warns if given.
CLUSTER_PARAMS = {"num_threads", "num_machines"}


@dataclass
class DaskLightGBM:
    """A `GlobalLightGBM` whose fit and predict run on a Dask cluster."""

    inner: GlobalLightGBM
    cluster: Cluster

    name: str = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.inner.name

    @property
    def max_horizon(self) -> int:
        return self.inner.max_horizon

    @max_horizon.setter
    def max_horizon(self, value: int) -> None:
        self.inner.max_horizon = value

    @property
    def holdout_mae(self) -> dict[str, float]:
        return self.inner.holdout_mae

    @property
    def skill(self) -> dict[str, Any]:
        return self.inner.skill

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def fit(self, data: ModelInput) -> None:
        model, cluster = self.inner, self.cluster
        end = data.attendances["date"].max()
        assert isinstance(end, date), "fit() needs actuals"
        plan = model.plan(data.attendances["trust_code"].n_unique())
        first_target = end - timedelta(days=plan.train_days)
        since = first_target - timedelta(days=model.max_horizon + LOOKBACK_DAYS)
        prepared = prepare_partitions(cluster, cluster.scatter(data), since, end,
                                      model.max_horizon, model.features)
        seeds = [model.params["seed"] + i for i in range(len(prepared))]
        rows = cluster.map(_training_rows, prepared, seeds, max_horizon=model.max_horizon,
                           first_target=first_target, per_target=plan.per_target)
        cutoff = end - timedelta(days=plan.calibration_days)
        early = self._train(cluster.map(_until, rows, cutoff=cutoff))
        held_out = cluster.map(_training_rows, prepared, [1 + i for i in range(len(prepared))],
                               max_horizon=model.max_horizon,
                               first_target=cutoff + timedelta(days=1),
                               per_target=max(2, model.max_horizon // 3))
        scored = pl.concat([s for s in cluster.gather(cluster.map(
            _scored, held_out, booster=cluster.broadcast(early), model=model)) if s is not None])
        model.calibrator = ResidualCalibrator.fit(
            scored["horizon"].to_numpy().astype(np.int64), scored["point"].to_numpy(),
            scored["y"].to_numpy())
        n_rows = sum(cluster.gather(cluster.map(_height, rows)))
        model._record_skill(scored, n_rows)
        refit = model.refit_after_calibration
        if refit is None:
            refit = n_rows <= model.refit_below_rows
        model.booster = self._train(rows) if refit else early
        model.fitted_until = end

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        model, cluster = self.inner, self.cluster
        if model.booster is None or model.calibrator is None:
            raise RuntimeError("predict() before fit()")
        since = origin - timedelta(days=LOOKBACK_DAYS)
        prepared = prepare_partitions(cluster, cluster.scatter(data), since, origin, horizon,
                                      model.features)
        frames: list[pl.DataFrame] = [f for f in cluster.gather(cluster.map(
            _forecast, prepared, model=cluster.broadcast(model), horizon=horizon)) if f.height]
        if not frames:
            return empty_forecast()
        return pl.concat(frames).sort("trust_code", "date")

    def _train(self, rows: Futures) -> lgb.Booster:
        """One booster from the rows of every partition, trained where the rows are."""
        names = feature_names(self.inner.features)
        heights = self.cluster.gather(self.cluster.map(_height, rows))
        kept = [(r, n) for r, n in zip(rows, heights, strict=True) if n]
        blocks = self.cluster.map(_block, [r for r, _ in kept], names=names)
        x = da.concatenate([da.from_delayed(delayed(b)[0], (n, len(names)), np.float64)
                            for b, (_, n) in zip(blocks, kept, strict=True)])
        y, offset = (da.concatenate([da.from_delayed(delayed(b)[k], (n,), np.float64)
                                     for b, (_, n) in zip(blocks, kept, strict=True)])
                     for k in (1, 2))
        params = {k: v for k, v in self.inner.params.items() if k not in CLUSTER_PARAMS}
        regressor = DaskLGBMRegressor(client=self.cluster.client,
                                      n_estimators=self.inner.rounds, **params)
        with warnings.catch_warnings(), redirect_stdout(sys.stderr):  # stdout is for results
            # lightgbm.dask passes the estimator's own `n_jobs` to itself and then warns that
            # it ignores it (threads are the workers'); nothing we set can avoid it.
            warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored",
                                    UserWarning)
            regressor.fit(x, y, init_score=offset, feature_name=names,
                          categorical_feature=CATEGORICAL)
        booster: lgb.Booster = regressor.booster_
        return booster


def _training_rows(prepared: PreparedHistory | None, seed: int, max_horizon: int,
                   first_target: date, per_target: int) -> pl.DataFrame | None:
    if prepared is None:
        return None
    return training_rows(prepared, max_horizon, first_target, per_target, seed=seed)


def _until(rows: pl.DataFrame | None, cutoff: date) -> pl.DataFrame | None:
    return None if rows is None else rows.filter(pl.col("date") <= cutoff)


def _height(rows: pl.DataFrame | None) -> int:
    return 0 if rows is None else rows.height


def _block(rows: pl.DataFrame, names: list[str]
           ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Features, label and offset as LightGBM takes them (as `GlobalLightGBM._train` builds)."""
    return (rows.select(names).to_numpy().astype(np.float64),
            rows["y"].to_numpy().astype(np.float64), np.log(rows["base"].to_numpy()))


def _scored(rows: pl.DataFrame | None, booster: lgb.Booster, model: GlobalLightGBM
            ) -> pl.DataFrame | None:
    if rows is None or rows.is_empty():
        return None
    point = model._point(booster, rows)
    return rows.select("trust_code", "horizon", "y").with_columns(pl.Series("point", point))


def _forecast(prepared: PreparedHistory | None, model: GlobalLightGBM, horizon: int
              ) -> pl.DataFrame:
    if prepared is None:
        return empty_forecast()
    frame: pl.DataFrame = model.predict_prepared(prepared, horizon)
    return frame.cast(FORECAST_SCHEMA)  # type: ignore[arg-type]
