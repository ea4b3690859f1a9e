"""Reconciliation: coherent points for every method, intervals per level, a per-level backtest."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from support.hierarchy import backtest_cli

from contract.hierarchy import validate_hierarchy
from forecast.backtest import backtest_origins
from forecast.baselines.snaive import SeasonalNaive
from forecast.hierarchy.aggregate import hierarchy_input, node_series
from forecast.hierarchy.backtest import max_incoherence, run_hierarchy_backtest
from forecast.hierarchy.model import HierarchicalForecaster
from forecast.hierarchy.reconcile import METHODS, fit_reconciler, shrunk_covariance
from forecast.hierarchy.structure import Hierarchy
from forecast.protocol import Forecaster, ModelInput
from synthetic_data import SynthConfig, SyntheticData, generate

END = date(2025, 6, 30)


@lru_cache(maxsize=1)
def world() -> SyntheticData:
    return generate(SynthConfig(trusts=12, years=2, end=END, seed=5))


def _setup() -> tuple[Hierarchy, ModelInput]:
    data = world()
    hierarchy = Hierarchy.from_frame(validate_hierarchy(data.hierarchy))
    leaves = ModelInput(pl.concat([data.attendances, data.site_attendances]), data.temperature)
    return hierarchy, leaves


def _snaive() -> Forecaster:
    return SeasonalNaive()


@pytest.mark.parametrize("method", METHODS)
def test_every_method_gives_coherent_points(method: str) -> None:
    hierarchy, _ = _setup()
    s = hierarchy.summing
    rng = np.random.default_rng(0)
    residuals = rng.normal(size=(60, len(hierarchy))) @ np.diag(s.sum(axis=1))
    reconciler = fit_reconciler(s, residuals, method)  # type: ignore[arg-type]
    base = rng.uniform(50, 500, size=(len(hierarchy), 3))
    out = reconciler.reconcile(base)
    leaves = out[[hierarchy.codes.index(leaf) for leaf in hierarchy.leaves]]
    np.testing.assert_allclose(out, s @ leaves, rtol=1e-9)
    coherent = s @ rng.uniform(50, 500, size=(len(hierarchy.leaves), 1))
    np.testing.assert_allclose(reconciler.reconcile(coherent), coherent, rtol=1e-8)


def test_shrinkage_is_between_zero_and_one_and_keeps_variances() -> None:
    rng = np.random.default_rng(1)
    common = rng.normal(size=(40, 1))
    residuals = common + 0.5 * rng.normal(size=(40, 8))
    w, lam = shrunk_covariance(residuals)
    assert 0.0 <= lam < 0.5  # strongly correlated: little shrinkage
    np.testing.assert_allclose(np.diag(w), np.mean(residuals**2, axis=0))
    _, noise_lam = shrunk_covariance(rng.normal(size=(40, 8)))
    assert noise_lam > lam


def test_node_series_sum_leaves_and_drop_partial_days() -> None:
    hierarchy, leaves = _setup()
    nodes = node_series(leaves.attendances, hierarchy)
    trust_sum = nodes.filter(pl.col("trust_code").is_in(
        [n.code for n in hierarchy.nodes if n.level == "trust"])).group_by("date").agg(
        pl.col("attendances").sum())
    nation = nodes.filter(pl.col("trust_code") == "ENG").join(trust_sum, on="date")
    assert (nation["attendances"] == nation["attendances_right"]).all()
    gap_leaf = hierarchy.leaves[0]
    holed = leaves.attendances.filter(~((pl.col("trust_code") == gap_leaf)
                                        & (pl.col("date") == END)))
    again = node_series(holed, hierarchy)
    for code in [gap_leaf, *hierarchy.ancestors(gap_leaf)]:
        assert again.filter((pl.col("trust_code") == code) & (pl.col("date") == END)).is_empty()
    assert node_series(leaves.attendances, hierarchy, target="admissions")["attendances"].sum() \
        < nodes["attendances"].sum()


def test_forecaster_is_coherent_and_intervals_are_ordered_at_every_level() -> None:
    hierarchy, leaves = _setup()
    data = hierarchy_input(leaves, hierarchy)
    model = HierarchicalForecaster(hierarchy, engine=_snaive, max_horizon=14,
                                   calibration_days=56, refit=False)
    model.fit(data.up_to(date(2025, 6, 1)))
    out = model.predict(data, date(2025, 6, 1), 14)
    assert out.height == len(hierarchy) * 14
    assert max_incoherence(out, hierarchy) < 1e-6
    assert model.last_base.height == out.height  # seasonal naive is linear: coherent already
    ordered = out.filter((pl.col("lo95") <= pl.col("lo80")) & (pl.col("lo80") <= pl.col("point"))
                         & (pl.col("point") <= pl.col("hi80")) & (pl.col("hi80") <= pl.col("hi95")))
    assert ordered.height == out.height
    assert set(model.calibrators) == {"nation", "region", "ics", "trust", "site"}
    width = out.with_columns(w=(pl.col("hi80") - pl.col("lo80")) / pl.col("point")).group_by(
        "trust_code").agg(pl.col("w").mean())
    relative = dict(zip(width["trust_code"], width["w"], strict=True))
    assert relative["ENG"] < min(relative[leaf] for leaf in hierarchy.leaves)


def test_backtest_scores_every_level_base_and_reconciled() -> None:
    hierarchy, leaves = _setup()
    origins = backtest_origins(END, 7, 3, 7)
    result = run_hierarchy_backtest(leaves, hierarchy, 7, origins, engine=_snaive,
                                    methods=["mint_shrink", "bottom_up"], refit_every=2)
    levels = result.summary["levels"]
    assert list(levels) == ["nation", "region", "ics", "trust", "site"]
    for block in levels.values():
        assert {"base", "mint_shrink", "bottom_up"} <= set(block)
        assert block["mint_shrink"]["n"] == block["base"]["n"] > 0
        assert 0.0 <= block["mint_shrink"]["coverage80"] <= 1.0
    assert result.summary["max_incoherence"]["mint_shrink"] < 1e-6
    assert levels["site"]["bottom_up"]["mae"] == pytest.approx(levels["site"]["base"]["mae"])


def test_backtest_command_adds_every_level_to_metrics_and_report(tmp_path: Path) -> None:
    out = backtest_cli(world(), tmp_path, "--origins", "3")
    metrics = json.loads((out / "metrics.json").read_text())
    assert "snaive" in metrics["models"]  # the contract's part is unchanged
    levels = metrics["hierarchy"]["levels"]
    assert set(levels) == {"nation", "region", "ics", "trust", "site"}
    assert metrics["hierarchy"]["max_incoherence"]["mint_shrink"] < 1e-6
    assert "Hierarchy: every level" in (out / "report.html").read_text()
    assert pl.read_parquet(out / "hierarchy_forecasts.parquet")["level"].n_unique() == 5
