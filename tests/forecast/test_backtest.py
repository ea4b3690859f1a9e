"""The split generator and the backtest loop: origins, refits, and no leakage."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from contract.errors import InputError, ModelError
from forecast.backtest import (
    BACKTEST_COLUMNS,
    backtest_origins,
    backtest_splits,
    run_backtest,
)
from forecast.baselines import ARIMAX, ETS, SeasonalNaive
from forecast.protocol import Forecaster, ModelInput

END = date(2024, 6, 30)


def make_attendances(n_trusts: int = 3, days: int = 400, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    dates = [END - timedelta(days=days - 1 - i) for i in range(days)]
    weekly = np.array([1.15, 1.02, 0.98, 0.97, 0.97, 0.94, 0.97])
    mu = weekly[[d.weekday() for d in dates]]
    return pl.concat([
        pl.DataFrame({"trust_code": f"R{k:02d}", "date": dates,
                      "attendances": rng.poisson(mu * rng.uniform(80, 300))})
        for k in range(n_trusts)
    ])


def test_origins_follow_the_contract() -> None:
    # last date 2024-03-31, horizon 14: the last origin is 2024-03-17, then every 7 days back
    origins = backtest_origins(date(2024, 3, 31), horizon=14, n_origins=3, step=7)
    assert origins == [date(2024, 3, 3), date(2024, 3, 10), date(2024, 3, 17)]
    assert backtest_origins(date(2024, 1, 10), 1, 2, 1) == [date(2024, 1, 8), date(2024, 1, 9)]


@pytest.mark.parametrize("args", [(0, 3, 7), (14, 0, 7), (14, 3, 0)])
def test_origins_refuse_non_positive_settings(args: tuple[int, int, int]) -> None:
    with pytest.raises(InputError, match="must be at least 1"):
        backtest_origins(END, *args)


def test_splits_refit_at_first_and_every_nth_origin() -> None:
    data = ModelInput(make_attendances(1, 60))
    origins = [END - timedelta(days=40 - k) for k in range(9)]
    splits = list(backtest_splits(data, origins[::-1], refit_every=4))
    assert [s.origin for s in splits] == origins
    assert [s.index for s in splits if s.refit] == [0, 4, 8]
    assert all(s.history.attendances["date"].max() == s.origin for s in splits)


class Spy:
    """Wraps a model; records the latest actual each fit and predict was shown, and the origin."""

    def __init__(self, inner: Forecaster) -> None:
        self.inner = inner
        self.name = inner.name
        self.seen: list[tuple[str, date, date]] = []  # (call, latest date seen, origin)
        self._fit_latest: date | None = None

    def fit(self, data: ModelInput) -> None:
        self._fit_latest = data.attendances["date"].max()
        self.inner.fit(data)

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        if self._fit_latest is not None:  # the backtest fits, then predicts at the same origin
            self.seen.append(("fit", self._fit_latest, origin))
            self._fit_latest = None
        self.seen.append(("predict", data.attendances["date"].max(), origin))
        return self.inner.predict(data, origin, horizon)


def leaks(spy: Spy) -> list[str]:
    return [f"{call} saw {latest} at origin {origin}"
            for call, latest, origin in spy.seen if latest > origin]


def test_the_spy_catches_a_leak() -> None:
    data = ModelInput(make_attendances(1, 60))
    spy = Spy(SeasonalNaive())
    spy.fit(data)
    spy.predict(data, END - timedelta(days=7), 7)
    assert len(leaks(spy)) == 2


@pytest.mark.parametrize("factory", [SeasonalNaive, lambda: ETS(n_jobs=1),
                                     lambda: ARIMAX(180, n_jobs=1)],
                         ids=["snaive", "ets", "arimax"])
def test_models_never_see_an_actual_after_the_origin(factory) -> None:
    data = ModelInput(make_attendances())
    origins = backtest_origins(END, 14, 6, 7)
    spy = Spy(factory())
    run_backtest(data, {"spy": spy}, 14, origins, refit_every=2)
    assert [c for c, _, _ in spy.seen].count("fit") == 3
    assert len(spy.seen) == 9
    assert leaks(spy) == []


def test_poisoned_future_changes_no_forecast_up_to_the_origin() -> None:
    clean = make_attendances()
    origins = backtest_origins(END, 14, 5, 7)
    cut = origins[2]
    poisoned = clean.with_columns(
        pl.when(pl.col("date") > cut).then(pl.col("attendances") * 100)
        .otherwise(pl.col("attendances")))
    models = lambda: {"snaive": SeasonalNaive(), "ets": ETS(n_jobs=1)}  # noqa: E731
    before = run_backtest(ModelInput(clean), models(), 14, origins, refit_every=2).forecasts
    after = run_backtest(ModelInput(poisoned), models(), 14, origins, refit_every=2).forecasts
    columns = [c for c in BACKTEST_COLUMNS if c != "actual"]
    early = pl.col("origin") <= cut
    assert before.filter(early).select(columns).equals(after.filter(early).select(columns))
    assert not before.filter(~early).select(columns).equals(after.filter(~early).select(columns))


def test_output_has_the_contract_columns_and_null_for_missing_days() -> None:
    frame = make_attendances().filter(pl.col("date") != END - timedelta(days=3))
    origins = backtest_origins(END, 7, 2, 7)
    result = run_backtest(ModelInput(frame), {"snaive": SeasonalNaive()}, 7, origins)
    out = result.forecasts
    assert out.columns == BACKTEST_COLUMNS
    assert out.height == 3 * 2 * 7
    missing = out.filter(pl.col("date") == END - timedelta(days=3))
    assert missing.height == 3 and missing["actual"].is_null().all()
    assert out.filter(pl.col("date") != END - timedelta(days=3))["actual"].is_not_null().all()
    assert result.timings["snaive"].n_fits == 1
    assert result.timings["snaive"].predict_s > 0


class Broken:
    name = "broken"

    def fit(self, data: ModelInput) -> None:  # noqa: ARG002
        return None

    def predict(self, data: ModelInput, origin: date, horizon: int) -> pl.DataFrame:
        model = SeasonalNaive()
        model.fit(data)
        good = model.predict(data, origin, horizon)
        return good.with_columns(hi95=pl.col("point") - 1)


def test_an_unordered_interval_is_a_model_error() -> None:
    data = ModelInput(make_attendances())
    with pytest.raises(ModelError, match="broken"):
        run_backtest(data, {"broken": Broken()}, 7, backtest_origins(END, 7, 1, 7))


def test_progress_reports_every_model_and_origin() -> None:
    data = ModelInput(make_attendances(1, 120))
    steps = []
    origins = backtest_origins(END, 7, 3, 7)
    run_backtest(data, {"a": SeasonalNaive(), "b": SeasonalNaive()}, 7, origins,
                 progress=steps.append)
    assert [(s.model, s.done, s.total) for s in steps] == [
        ("a", 1, 6), ("a", 2, 6), ("a", 3, 6), ("b", 4, 6), ("b", 5, 6), ("b", 6, 6)]
