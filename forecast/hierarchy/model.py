"""Coherent forecasts for every node: base forecasts from one engine, then reconciliation.

`fit` trains the base engine (any `Forecaster`, the catalog default unless told; a per-series
choice among members keeps every aggregate on its primary, see `combination`) on the data up
to `calibration_days` (a year, when the history allows) before the end, and again at the start
of each quarter of that year, forecasts every node from weekly origins in the year (each quarter
by the engine trained just before it), and learns from the errors: the reconciliation matrix
(MinT with a shrunk covariance of the last 12 weeks' base errors, or a simpler method) and,
per level, a split-conformal calibrator of the *reconciled* errors with the season in their
size (`calibration.SeasonalCalibrator`), so the 80%/95% intervals of a region are sized by
regions' errors at the same time of year and a site's by sites', then scaled to how the errors
of the last `recent_days` (6 weeks) compare with the year's: this winter against the average
one. Then, unless `refit` is off,
it retrains the engine on all the data.

`predict` forecasts every node with the engine, reconciles the points (parents equal the sum of
their children exactly) and puts each level's intervals around them. The base forecasts of the
last call are kept in `last_base`, so the backtest can score unreconciled against reconciled.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from forecast.combination import SkillSelect
from forecast.hierarchy.calibration import SeasonalCalibrator
from forecast.hierarchy.reconcile import FloatArray, Method, Reconciler, fit_reconciler
from forecast.hierarchy.structure import Hierarchy, Level
from forecast.protocol import FORECAST_COLUMNS, Forecaster, ModelInput, empty_forecast

MIN_RESIDUAL_VECTORS = 10
# The shortest window of held-out errors, and the least history the early engine trains on
# before it: with less history than both the window shrinks to fit, never below the minimum.
MIN_CALIBRATION_DAYS = 84
MIN_EARLY_TRAINING_DAYS = 365
MIN_SEGMENT_DAYS = 91
# Errors from forecast origins in the last 6 weeks set each level's recent scale. Over five
# synthetic worlds it moved every level's coverage toward 80%/95% in the three where the top
# was off (docs/benchmarks.md, "Hierarchy"); 0 turns it off.
RECENT_DAYS = 42


def _default_engine() -> Forecaster:
    from forecast.catalog import DEFAULT_MODEL, MODELS

    return MODELS[DEFAULT_MODEL]()


@dataclass
class HierarchicalForecaster:
    """A `Forecaster` over the nodes of `hierarchy` whose forecasts add up."""

    hierarchy: Hierarchy
    engine: Callable[[], Forecaster] = _default_engine
    method: Method = "mint_shrink"
    calibration_days: int = 364
    reconciliation_days: int = 84
    early_models: int = 4
    min_segment_days: int = MIN_SEGMENT_DAYS
    recent_days: int = RECENT_DAYS
    calibration_step: int = 7
    max_horizon: int = 42
    refit: bool = True
    name: str = "hierarchy"
    model: Forecaster | None = field(default=None, init=False, repr=False)
    reconciler: Reconciler | None = field(default=None, init=False, repr=False)
    calibrators: dict[Level, SeasonalCalibrator] = field(default_factory=dict, init=False)
    last_base: pl.DataFrame = field(default_factory=empty_forecast, init=False, repr=False)
    held_out: pl.DataFrame = field(default_factory=pl.DataFrame, init=False, repr=False)

    def fit(self, data: ModelInput) -> None:
        start, end = data.attendances["date"].min(), data.attendances["date"].max()
        assert isinstance(start, date) and isinstance(end, date), "fit() needs actuals"
        cut = end - timedelta(days=self.window_days((end - start).days))
        frames, early = [], None
        for first, last in self._segments(cut, end):
            early = self._new_engine()
            early.fit(data.up_to(first))
            frames.append(self._held_out(early, data, first, last, end))
        assert early is not None
        self.held_out = pl.concat(frames)
        self._calibrate()
        if self.refit:
            self.model = self._new_engine()
            self.model.fit(data)
        else:
            self.model = early

    def _new_engine(self) -> Forecaster:
        """A fresh engine; a `SkillSelect` one with the parents pinned to its primary."""
        engine = self.engine()
        if isinstance(engine, SkillSelect):
            engine.pinned = frozenset(self.hierarchy.codes) - frozenset(self.hierarchy.leaves)
        return engine

    def window_days(self, history_days: int) -> int:
        """Days of held-out errors to learn from: `calibration_days`, less when the history
        is too short to leave the early engine a year to train on."""
        room = history_days - MIN_EARLY_TRAINING_DAYS
        return max(min(self.calibration_days, room), min(MIN_CALIBRATION_DAYS,
                                                         self.calibration_days))

    def _segments(self, cut: date, end: date) -> list[tuple[date, date]]:
        """The window in up to `early_models` stretches of at least `min_segment_days` (a
        quarter unless told), each forecast by an engine trained up to its start: errors of a
        model a few weeks old, as served, not of one a year old (whose larger errors made the
        top levels' intervals too wide)."""
        days = (end - cut).days
        count = max(1, min(self.early_models, days // self.min_segment_days))
        step = -(-days // count // self.calibration_step) * self.calibration_step
        starts = [cut + timedelta(days=k * step) for k in range(count)]
        return [(a, min(b, end)) for a, b in zip(starts, [*starts[1:], end], strict=True)
                if a < end]

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        if self.model is None:
            raise RuntimeError("predict() before fit()")
        base = self.model.predict(data, origin, horizon)
        self.last_base = base.filter(pl.col("trust_code").is_in(self.hierarchy.codes))
        return self.reconcile(self.last_base)

    def reconcile(self, base: pl.DataFrame) -> pl.DataFrame:
        """Coherent points with each level's intervals, from the engine's forecast `base`."""
        if self.reconciler is None:
            raise RuntimeError("reconcile() before fit()")
        if base.is_empty():
            return empty_forecast()
        return self._with_intervals(self._reconcile_points(base), base)

    def with_method(self, method: Method) -> HierarchicalForecaster:
        """The same fitted engine reconciled another way (to compare methods in a backtest)."""
        other = copy.copy(self)
        other.method = method
        other._calibrate()
        return other

    def _calibrate(self) -> None:
        """Reconciliation from the latest held-out base errors (in backtests the covariance of
        the last 12 weeks reconciled better than a year's), per-level calibrators from all."""
        held_out = self.held_out
        if held_out.is_empty():
            recent = held_out
        else:
            last = held_out["origin"].max()
            assert isinstance(last, date)
            recent = held_out.filter(
                pl.col("origin") >= last - timedelta(days=self.reconciliation_days))
        self.reconciler = fit_reconciler(self.hierarchy.summing, self._residuals(recent),
                                         self._method(recent))
        reconciled = self._reconcile_points(held_out).join(
            held_out.select("trust_code", "origin", "horizon", "actual"),
            on=["trust_code", "origin", "horizon"])
        self.calibrators = self._level_calibrators(reconciled)

    def describe(self) -> dict[str, Any]:
        describe = getattr(self.model, "describe", None)
        return {
            "model": self.name, "method": self.method,
            "shrinkage": None if self.reconciler is None else self.reconciler.shrinkage,
            "calibrated_levels": sorted(self.calibrators),
            "seasonal_amplitude": {level: round(c.amplitude, 3)
                                   for level, c in sorted(self.calibrators.items())},
            "recent_scale": {level: round(c.recent_scale, 3)
                             for level, c in sorted(self.calibrators.items())},
            "engine": describe() if callable(describe) else None,
        }

    def _held_out(self, early: Forecaster, data: ModelInput, first: date, last: date,
                  end: date) -> pl.DataFrame:
        """Base forecasts from weekly origins in [first, last), each joined to its actual."""
        frames = []
        origin = first
        while origin < last:
            steps = min(self.max_horizon, (end - origin).days)
            frames.append(early.predict(data.up_to(origin), origin, steps))
            origin += timedelta(days=self.calibration_step)
        actual = data.attendances.select("trust_code", "date",
                                         pl.col("attendances").cast(pl.Float64).alias("actual"))
        return pl.concat(frames).filter(pl.col("trust_code").is_in(self.hierarchy.codes)).join(
            actual, on=["trust_code", "date"], how="inner")

    def _residuals(self, held_out: pl.DataFrame) -> FloatArray | None:
        """(origin, horizon) x node errors, rows with every node present."""
        wide = held_out.with_columns(error=pl.col("actual") - pl.col("point")).pivot(
            on="trust_code", index=["origin", "horizon"], values="error")
        missing = [c for c in self.hierarchy.codes if c not in wide.columns]
        if missing:
            return None
        matrix = wide.select(self.hierarchy.codes).to_numpy().astype(np.float64)
        complete = matrix[np.isfinite(matrix).all(axis=1)]
        return complete if complete.shape[0] >= MIN_RESIDUAL_VECTORS else None

    def _method(self, held_out: pl.DataFrame) -> Method:
        if self.method in ("mint_shrink", "wls_var") and self._residuals(held_out) is None:
            return "wls_struct"  # too few complete error vectors to estimate a covariance
        return self.method

    def _reconcile_points(self, base: pl.DataFrame) -> pl.DataFrame:
        """trust_code, origin, date, horizon, point: the coherent points for every node."""
        assert self.reconciler is not None
        codes = self.hierarchy.codes
        wide = base.pivot(on="trust_code", index=["origin", "date", "horizon"], values="point")
        for code in codes:
            if code not in wide.columns:
                wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(code))
        matrix = self._filled(wide.select(codes).to_numpy().astype(np.float64))
        points = self.reconciler.reconcile(matrix.T).T
        return wide.select("origin", "date", "horizon").with_columns(
            [pl.Series(code, points[:, i]) for i, code in enumerate(codes)]
        ).unpivot(index=["origin", "date", "horizon"], variable_name="trust_code",
                  value_name="point")

    def _filled(self, matrix: FloatArray) -> FloatArray:
        """A node the engine could not forecast: a leaf counts 0, a parent its leaves' sum."""
        s = self.hierarchy.summing
        leaf_rows = [self.hierarchy.codes.index(leaf) for leaf in self.hierarchy.leaves]
        leaves = np.nan_to_num(matrix[:, leaf_rows])
        bottom_up = leaves @ s.T
        return np.where(np.isfinite(matrix), matrix, bottom_up)

    def _level_calibrators(self, reconciled: pl.DataFrame) -> dict[Level, SeasonalCalibrator]:
        levels = pl.DataFrame({"trust_code": self.hierarchy.codes, "level": [
            self.hierarchy.level_of(c) for c in self.hierarchy.codes]})
        rows = reconciled.join(levels, on="trust_code")
        out: dict[Level, SeasonalCalibrator] = {}
        for (level,), part in rows.group_by("level"):
            try:
                calibrator = SeasonalCalibrator.fit(
                    part["horizon"].to_numpy().astype(np.int64), part["point"].to_numpy(),
                    part["actual"].to_numpy(), part["date"].to_list())
            except ValueError:  # too few errors at this level: the engine's own intervals
                continue
            out[str(level)] = self._scaled_to_recent(calibrator, part)
        return out

    def _scaled_to_recent(self, calibrator: SeasonalCalibrator, part: pl.DataFrame
                          ) -> SeasonalCalibrator:
        """`calibrator` scaled to the level's errors from origins in the last `recent_days`."""
        last = part["origin"].max()
        if self.recent_days <= 0 or not isinstance(last, date):
            return calibrator
        recent = part.filter(pl.col("origin") > last - timedelta(days=self.recent_days))
        return calibrator.with_recent_errors(
            recent["horizon"].to_numpy().astype(np.int64), recent["point"].to_numpy(),
            recent["actual"].to_numpy(), recent["date"].to_list(), recent["origin"].n_unique())

    def _with_intervals(self, points: pl.DataFrame, base: pl.DataFrame) -> pl.DataFrame:
        """Each level's calibrated intervals around the reconciled point; where a level has no
        calibrator, the engine's own interval widths moved to the reconciled point."""
        frames = []
        for code_level, part in points.with_columns(
                level=pl.col("trust_code").replace_strict(
                    {c: self.hierarchy.level_of(c) for c in self.hierarchy.codes})
        ).group_by("level"):
            calibrator = self.calibrators.get(str(code_level[0]))
            if calibrator is not None:
                bands = calibrator.intervals(part["horizon"].to_numpy().astype(np.int64),
                                             part["point"].to_numpy(), part["date"].to_list())
                frames.append(part.with_columns(*[pl.Series(k, v) for k, v in bands.items()]))
            else:
                frames.append(_shifted(part, base))
        out = pl.concat([f.select(FORECAST_COLUMNS) for f in frames])
        return out.cast({"horizon": pl.Int32}).sort("trust_code", "date")


def _shifted(points: pl.DataFrame, base: pl.DataFrame) -> pl.DataFrame:
    bounds = ["lo80", "hi80", "lo95", "hi95"]
    offsets = base.select("trust_code", "horizon", *[
        (pl.col(b) - pl.col("point")).alias(b) for b in bounds])
    joined = points.join(offsets, on=["trust_code", "horizon"], how="left")
    return joined.with_columns(
        [(pl.col("point") + pl.col(b).fill_null(0.0)).clip(lower_bound=0.0).alias(b)
         for b in bounds]).with_columns(
        lo80=pl.min_horizontal("lo80", "point"), hi80=pl.max_horizontal("hi80", "point"),
    ).with_columns(
        lo95=pl.min_horizontal("lo95", "lo80"), hi95=pl.max_horizontal("hi95", "hi80"))
