"""The global LightGBM fitted and served on Dask: rows built per partition, trees by lightgbm.dask.

Mirrors `GlobalLightGBM.fit` step by step (the same plan, windows, offset, early model for the
split-conformal calibration, refit rule) so the fitted `inner` model is an ordinary
`GlobalLightGBM`: stored by the registry and loaded later without Dask.

Reproducible run after run: the partitions train on exactly the rows one machine draws, each
worker holds the same trusts in the same order, and LightGBM numbers the machines the same way
(`cluster.placement`, `cluster.StableClient`). What still differs from one machine is inside
LightGBM's data-parallel learner: each machine bags its own rows (by their position there) and
finds the bins of its share of the features from its own rows
(docs/benchmarks.md, "Scale-out on Dask").
"""

from __future__ import annotations

import itertools
import operator
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

from features.pipeline import (
    IntMatrix,
    PreparedHistory,
    feature_names,
    horizon_draws,
    training_rows,
    training_targets,
)
from forecast.intervals import ResidualCalibrator
from forecast.lgbm import CATEGORICAL, LOOKBACK_DAYS, GlobalLightGBM
from forecast.protocol import FORECAST_SCHEMA, ModelInput, empty_forecast
from forecast.scaleout.cluster import Cluster, Partitions
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
        rows = self._rows(prepared, first_target, plan.per_target, model.params["seed"])
        cutoff = end - timedelta(days=plan.calibration_days)
        early = self._train(cluster.each(_until, rows, cutoff=cutoff))
        held_out = self._rows(prepared, cutoff + timedelta(days=1),
                              max(2, model.max_horizon // 3), seed=1)
        scored = pl.concat([s for s in cluster.gather(cluster.each(
            _scored, held_out, booster=cluster.broadcast(early), model=model)) if s is not None])
        model.calibrator = ResidualCalibrator.fit(
            scored["horizon"].to_numpy().astype(np.int64), scored["point"].to_numpy(),
            scored["y"].to_numpy())
        n_rows = sum(cluster.gather(cluster.each(_height, rows)))
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
        frames: list[pl.DataFrame] = [f for f in cluster.gather(cluster.each(
            _forecast, prepared, model=cluster.broadcast(model), horizon=horizon)) if f.height]
        if not frames:
            return empty_forecast()
        return pl.concat(frames).sort("trust_code", "date")

    def _rows(self, prepared: Partitions, first_target: date, per_target: int, seed: int
              ) -> Partitions:
        """Each partition's training rows, with the horizons one machine draws for its targets
        (drawn here, for all targets at once, and sliced: `horizon_draws`)."""
        cluster, max_horizon = self.cluster, self.inner.max_horizon
        counts = cluster.gather(cluster.each(_targets, prepared, first_target=first_target))
        slices = draws_by_partition(seed, per_target, counts, max_horizon)
        return cluster.each(_training_rows, prepared, slices, max_horizon=max_horizon,
                            first_target=first_target, per_target=per_target)

    def _train(self, rows: Partitions) -> lgb.Booster:
        """One booster from the rows of every partition, trained where the rows are.

        Each worker's partitions become one block (in trust order) on that worker, so LightGBM
        sees the same rows on the same machine in the same order on every run.
        """
        names = feature_names(self.inner.features)
        x, y, offset = self._arrays(rows, names)
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

    def _arrays(self, rows: Partitions, names: list[str]) -> tuple[da.Array, da.Array, da.Array]:
        """Features, label and offset: one chunk per worker (its partitions stacked in trust
        order) held by that worker, so LightGBM sees the same rows on the same machine in the
        same order on every run."""
        client = self.cluster.client
        workers = list(dict.fromkeys(rows.workers))
        blocks = [client.submit(_block, *[f for f, w in zip(rows.futures, rows.workers,
                                                             strict=True) if w == worker],
                                names=names, workers=[worker], allow_other_workers=False,
                                pure=False) for worker in workers]
        heights = client.gather([client.submit(_block_height, b, pure=False) for b in blocks])
        kept = [(b, w, n) for b, w, n in zip(blocks, workers, heights, strict=True) if n]

        def stacked(k: int, shape: tuple[int, ...]) -> da.Array:
            chunks = [da.from_delayed(delayed(client.submit(
                operator.itemgetter(k), block, workers=[worker], allow_other_workers=False,
                pure=False)), (n, *shape), np.float64) for block, worker, n in kept]
            joined: da.Array = da.concatenate(chunks)
            return joined

        return stacked(0, (len(names),)), stacked(1, ()), stacked(2, ())


def draws_by_partition(seed: int, per_target: int, counts: list[int], max_horizon: int
                       ) -> list[IntMatrix]:
    """One machine's horizon draws for all targets, cut into each partition's columns
    (`counts`: each partition's targets, in trust order)."""
    draws = horizon_draws(seed, per_target, sum(counts), max_horizon)
    edges = np.cumsum([0, *counts])
    return [draws[:, a:b].astype(np.int16) for a, b in itertools.pairwise(edges)]


def _targets(prepared: PreparedHistory | None, first_target: date) -> int:
    return 0 if prepared is None else training_targets(prepared, first_target).height


def _training_rows(prepared: PreparedHistory | None, draws: IntMatrix, max_horizon: int,
                   first_target: date, per_target: int) -> pl.DataFrame | None:
    if prepared is None:
        return None
    return training_rows(prepared, max_horizon, first_target, per_target, draws=draws)


def _until(rows: pl.DataFrame | None, cutoff: date) -> pl.DataFrame | None:
    return None if rows is None else rows.filter(pl.col("date") <= cutoff)


def _height(rows: pl.DataFrame | None) -> int:
    return 0 if rows is None else rows.height


def _block(*rows: pl.DataFrame | None, names: list[str]
           ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Features, label and offset as LightGBM takes them (as `GlobalLightGBM._train` builds),
    from one worker's partitions in order."""
    frames = [r for r in rows if r is not None and r.height]
    both = pl.concat(frames) if frames else pl.DataFrame(schema={n: pl.Float64 for n in
                                                                  [*names, "y", "base"]})
    return (both.select(names).to_numpy().astype(np.float64),
            both["y"].to_numpy().astype(np.float64), np.log(both["base"].to_numpy()))


def _block_height(block: tuple[np.ndarray[Any, Any], ...]) -> int:
    return len(block[1])


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
