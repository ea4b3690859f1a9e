"""The global LightGBM model: one booster for every trust, learning corrections to a baseline.

Each row's prediction is `base * exp(f(x))`: `base` is the trust's weekday-adjusted level at the
origin times its weekday profile (see features.pipeline), passed to LightGBM as the Poisson
model's offset (`init_score = log(base)`), so the trees learn multiplicative effects of horizon,
calendar, holidays, temperature, momentum and the population's recent change, shared across
trusts. Intervals come from a split-conformal calibration on the last weeks before the fit date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import lightgbm as lgb
import numpy as np
import polars as pl

from features.config import DEFAULT_FEATURES, FeatureConfig
from features.pipeline import (
    PreparedHistory,
    feature_names,
    prediction_rows,
    prepare,
    training_rows,
)
from forecast.intervals import FloatArray, ResidualCalibrator
from forecast.protocol import FORECAST_COLUMNS, ModelInput, empty_forecast

CATEGORICAL = ["dow", "holiday_kind"]
# History a row's features can reach back to: a year plus a level window plus slack for the
# weekday profile's exponential memory and the capped `history_days`. Older actuals change
# nothing, so they are not even read.
LOOKBACK_DAYS = 800


def _since(data: ModelInput, start: date) -> ModelInput:
    return ModelInput(data.attendances.filter(pl.col("date") >= start), data.temperature,
                      data.nations)


@dataclass(frozen=True)
class TrainingPlan:
    train_days: int
    per_target: int
    calibration_days: int


def default_params() -> dict[str, Any]:
    return {
        "objective": "poisson",
        "learning_rate": 0.1,
        "max_bin": 63,
        "num_leaves": 31,
        "min_data_in_leaf": 200,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "num_threads": 2,
        "verbose": -1,
        "seed": 7,
        "deterministic": True,
    }


@dataclass
class GlobalLightGBM:
    """Direct multi-horizon global model; `fit` trains, `predict` only reads new history."""

    name: str = "lgbm"
    max_horizon: int = 42
    # None = chosen from the data volume in `plan()`: few trusts get longer windows and more
    # horizons per target day; many trusts get the cheap settings that already suffice.
    train_days: int | None = None
    per_target: int | None = None
    calibration_days: int | None = None
    refit_after_calibration: bool | None = None
    target_rows: int = 200_000
    refit_below_rows: int = 150_000
    rounds: int = 200
    features: FeatureConfig = DEFAULT_FEATURES
    params: dict[str, Any] = field(default_factory=default_params)
    booster: lgb.Booster | None = field(default=None, init=False, repr=False)
    calibrator: ResidualCalibrator | None = field(default=None, init=False, repr=False)
    fitted_until: date | None = field(default=None, init=False)
    holdout_mae: dict[str, float] = field(default_factory=dict, init=False)
    skill: dict[str, Any] = field(default_factory=dict, init=False)

    def fit(self, data: ModelInput) -> None:
        end = data.attendances["date"].max()
        assert isinstance(end, date), "fit() needs actuals"
        plan = self.plan(data.attendances["trust_code"].n_unique())
        first_target = end - timedelta(days=plan.train_days)
        recent = _since(data, first_target - timedelta(days=self.max_horizon + LOOKBACK_DAYS))
        prepared = prepare(recent.attendances, recent.temperature, end, self.max_horizon,
                           recent.nations, self.features)
        rows = training_rows(prepared, self.max_horizon, first_target,
                             plan.per_target, seed=self.params["seed"])
        cutoff = end - timedelta(days=plan.calibration_days)
        early = self._train(rows.filter(pl.col("date") <= cutoff))
        # A third of the horizons per held-out day is plenty: the calibrator pools neighbours.
        held_out = training_rows(prepared, self.max_horizon, cutoff + timedelta(days=1),
                                 per_target=max(2, self.max_horizon // 3), seed=1)
        point = self._point(early, held_out)
        self.calibrator = ResidualCalibrator.fit(
            held_out["horizon"].to_numpy().astype(np.int64), point, held_out["y"].to_numpy())
        self._record_skill(held_out.with_columns(pl.Series("point", point)), rows.height)
        refit = self.refit_after_calibration
        if refit is None:
            refit = rows.height <= self.refit_below_rows
        self.booster = self._train(rows) if refit else early
        self.fitted_until = end

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        if self.booster is None or self.calibrator is None:
            raise RuntimeError("predict() before fit()")
        return self.forecast_rows(self.prediction_frame(data, origin, horizon))

    def predict_prepared(self, prepared: PreparedHistory, horizon: int) -> pl.DataFrame:
        """Forecasts from features already prepared at the origin (on a Dask worker)."""
        return self.forecast_rows(prediction_rows(prepared, horizon))

    def forecast_rows(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Points and calibrated intervals for feature rows of one origin."""
        if self.booster is None or self.calibrator is None:
            raise RuntimeError("predict() before fit()")
        if rows.is_empty():
            return empty_forecast()
        point = self._point(self.booster, rows)
        steps = rows["horizon"].to_numpy().astype(np.int64)
        bands = self.calibrator.intervals(steps, point)
        return rows.select("trust_code", "origin", "date", "horizon").with_columns(
            pl.Series("point", point), *[pl.Series(k, v) for k, v in bands.items()],
        ).select(FORECAST_COLUMNS)

    def prediction_frame(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        """The feature rows `predict` scores at `origin` (explanations reuse them)."""
        recent = _since(data.up_to(origin), origin - timedelta(days=LOOKBACK_DAYS))
        prepared = prepare(recent.attendances, recent.temperature, origin, horizon,
                           recent.nations, self.features)
        return prediction_rows(prepared, horizon)

    def contributions(self, rows: pl.DataFrame) -> FloatArray:
        """LightGBM's per-feature contributions to the raw (log) score of each row, with the
        expected value last: log(point) = log(base) + the row's sum (`pred_contrib`)."""
        if self.booster is None:
            raise RuntimeError("contributions() before fit()")
        matrix = rows.select(feature_names(self.features)).to_numpy()
        return np.asarray(self.booster.predict(matrix, pred_contrib=True), dtype=np.float64)

    def plan(self, n_trusts: int) -> TrainingPlan:
        """Windows sized to the data: ~`target_rows` training rows, >= ~1,400 trust-days of
        holdout residuals (so interval tails are not estimated from a handful of weeks)."""
        long_history = n_trusts * 730 * 2 < self.target_rows
        train_days = self.train_days or (1460 if long_history else 730)
        targets = max(1, n_trusts * train_days)
        per_target = self.per_target or int(np.clip(self.target_rows // targets, 2, 14))
        calibration = self.calibration_days or int(np.clip(np.ceil(56 * 25 / n_trusts), 56, 365))
        return TrainingPlan(train_days, per_target, calibration)

    def describe(self) -> dict[str, Any]:
        """Metadata for the model registry: what it was trained on and how well it did."""
        return {
            "model": self.name, "fitted_until": str(self.fitted_until),
            "max_horizon": self.max_horizon,
            "features": feature_names(self.features), "rounds": self.rounds,
            "params": self.params, "holdout": self.skill,
        }

    def _record_skill(self, held_out: pl.DataFrame, n_rows: int) -> None:
        """Holdout MAE per trust and per horizon: the expectation live accuracy is judged by."""
        err = (pl.col("point") - pl.col("y")).abs()
        per_trust = held_out.group_by("trust_code").agg(err.mean().alias("mae"))
        self.holdout_mae = dict(zip(per_trust["trust_code"], per_trust["mae"], strict=True))
        by_h = held_out.group_by("horizon").agg(
            err.mean().alias("mae"), (err / pl.col("point")).mean().alias("relative_mae"),
        ).sort("horizon")
        self.skill = {
            "training_rows": n_rows,
            "mae": float(held_out.select(err.mean()).item()),
            "by_horizon": by_h.to_dicts(),
        }

    def _train(self, rows: pl.DataFrame) -> lgb.Booster:
        names = feature_names(self.features)
        dataset = lgb.Dataset(
            rows.select(names).to_numpy(), label=rows["y"].to_numpy(),
            init_score=np.log(rows["base"].to_numpy()), feature_name=names,
            categorical_feature=CATEGORICAL, free_raw_data=True,
        )
        return lgb.train(self.params, dataset, num_boost_round=self.rounds)

    def _point(self, booster: lgb.Booster, rows: pl.DataFrame) -> FloatArray:
        raw = booster.predict(rows.select(feature_names(self.features)).to_numpy(), raw_score=True)
        return np.asarray(rows["base"].to_numpy() * np.exp(raw), dtype=np.float64)
