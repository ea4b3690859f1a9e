"""The seasonal calibrator: intervals as wide as the errors at that time of year."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from forecast.combination import SkillSelect
from forecast.hierarchy.calibration import SeasonalCalibrator
from forecast.hierarchy.model import HierarchicalForecaster
from forecast.hierarchy.structure import Hierarchy

START = date(2024, 4, 1)
ONE_SITE = pl.DataFrame({"site_code": ["RAA01"], "trust_code": ["RAA"], "ics_code": ["QAA"],
                         "region": ["London"], "nation": ["England"]})


def errors(days: int, winter_sd: float, summer_sd: float, seed: int = 0
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[date]]:
    """A level's daily (horizon, point, actual, date) with a relative error sd that peaks in
    mid-January and bottoms out in mid-July."""
    rng = np.random.default_rng(seed)
    dates = [START + timedelta(days=i) for i in range(days)]
    horizon = np.tile(np.arange(1, 15), days // 14 + 1)[:days].astype(np.int64)
    point = np.full(days, 20_000.0)
    sd = np.array([_seasonal_sd(d, winter_sd, summer_sd) for d in dates])
    actual = point * (1.0 + sd * rng.standard_normal(days))
    return horizon, point, actual, dates


def _seasonal_sd(day: date, winter_sd: float, summer_sd: float) -> float:
    weight = 0.5 * (1 + np.cos(2 * np.pi * ((day - date(day.year, 1, 15)).days / 365.25)))
    return float(np.exp(np.log(summer_sd) + weight * (np.log(winter_sd) - np.log(summer_sd))))


def coverage80(calibrator: SeasonalCalibrator, days: int, winter_sd: float,
               summer_sd: float, months: set[int]) -> float:
    horizon, point, actual, dates = errors(days, winter_sd, summer_sd, seed=99)
    keep = np.array([d.month in months for d in dates])
    bands = calibrator.intervals(horizon[keep], point[keep],
                                 [d for d, k in zip(dates, keep, strict=True) if k])
    inside = (actual[keep] >= bands["lo80"]) & (actual[keep] <= bands["hi80"])
    return float(inside.mean())


def test_a_winter_peak_in_the_errors_widens_winter_intervals_and_narrows_summer_ones() -> None:
    calibrator = SeasonalCalibrator.fit(*errors(364, winter_sd=0.04, summer_sd=0.01))
    assert calibrator.amplitude > 1.5
    winter = coverage80(calibrator, 730, 0.04, 0.01, {12, 1, 2})
    summer = coverage80(calibrator, 730, 0.04, 0.01, {6, 7, 8})
    assert 0.74 <= winter <= 0.86, winter
    assert 0.74 <= summer <= 0.86, summer
    flat = SeasonalCalibrator.fit(*errors(364, 0.04, 0.01)[:3], [START] * 364)
    assert flat.amplitude == 1.0
    assert coverage80(flat, 730, 0.04, 0.01, {12, 1, 2}) < 0.7  # what the season fixes


def test_errors_without_a_season_give_a_flat_curve() -> None:
    calibrator = SeasonalCalibrator.fit(*errors(364, winter_sd=0.02, summer_sd=0.02))
    assert calibrator.amplitude < 1.1
    assert 0.75 <= coverage80(calibrator, 730, 0.02, 0.02, set(range(1, 13))) <= 0.85


def test_less_than_a_year_of_errors_cannot_tell_a_season_from_a_trend() -> None:
    calibrator = SeasonalCalibrator.fit(*errors(200, winter_sd=0.04, summer_sd=0.01))
    assert calibrator.amplitude == 1.0


@pytest.mark.parametrize(("history_days", "window"), [
    (3000, 364), (365 + 200, 200), (365 + 30, 84), (60, 84)])
def test_the_calibration_window_leaves_the_early_model_a_year(history_days: int,
                                                              window: int) -> None:
    model = HierarchicalForecaster(Hierarchy.from_frame(ONE_SITE))
    assert model.window_days(history_days) == window


@pytest.mark.parametrize(("window", "count"), [(364, 4), (200, 2), (120, 1), (84, 1)])
def test_the_window_is_forecast_by_engines_trained_each_quarter(window: int, count: int) -> None:
    model = HierarchicalForecaster(Hierarchy.from_frame(ONE_SITE))
    cut = date(2025, 4, 1)
    end = cut + timedelta(days=window)
    segments = model._segments(cut, end)
    assert len(segments) == count
    assert segments[0][0] == cut and segments[-1][1] == end
    assert all(a[1] == b[0] for a, b in zip(segments, segments[1:], strict=False))
    assert all((b - a).days % 7 == 0 for a, b in segments[:-1])  # weekly origins line up


def test_monthly_engines_when_segments_may_be_shorter_than_a_quarter() -> None:
    model = HierarchicalForecaster(Hierarchy.from_frame(ONE_SITE), early_models=12,
                                   min_segment_days=28)
    cut = date(2025, 4, 1)
    segments = model._segments(cut, cut + timedelta(days=364))
    # 364 days in 12 would be 30.3 days; stretches are whole weeks (5), the last cut at the end
    assert [(b - a).days for a, b in segments] == [35] * 10 + [14]


def test_the_engine_keeps_every_aggregate_on_its_primary() -> None:
    sites = pl.DataFrame({"site_code": ["RAA01", "RAA02", "RBB01"],
                          "trust_code": ["RAA", "RAA", "RBB"], "ics_code": ["QAA"] * 3,
                          "region": ["London"] * 3, "nation": ["England"] * 3})
    hierarchy = Hierarchy.from_frame(sites)
    engine = HierarchicalForecaster(hierarchy)._new_engine()
    assert isinstance(engine, SkillSelect)
    assert engine.pinned == {"ENG", "London", "QAA", "RAA", "RBB"}  # the sites are free


def recent(days: int, factor: float, seed: int, span: int = 42
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[date]]:
    """The last `span` days (6 weeks) of `days` of errors, `factor` times their usual size."""
    horizon, point, actual, dates = errors(days, 0.02, 0.01, seed=seed)
    return (horizon[-span:], point[-span:],
            point[-span:] + factor * (actual[-span:] - point[-span:]), dates[-span:])


def coverage80_of(calibrator: SeasonalCalibrator, sample: tuple[np.ndarray, np.ndarray,
                                                               np.ndarray, list[date]]) -> float:
    horizon, point, actual, dates = sample
    bands = calibrator.intervals(horizon, point, dates)
    return float(((actual >= bands["lo80"]) & (actual <= bands["hi80"])).mean())


def test_a_harder_winter_than_the_last_widens_the_intervals_to_match() -> None:
    calibrator = SeasonalCalibrator.fit(*errors(364, winter_sd=0.02, summer_sd=0.01))
    harder = calibrator.with_recent_errors(*recent(406, 2.0, seed=5), origins=6)
    assert 1.4 < harder.recent_scale < 2.0  # twice the error, shrunk: 2 ** (6 / 8) = 1.68
    ahead = recent(406 + 364, 2.0, seed=99, span=364)  # the year ahead, as hard
    assert coverage80_of(calibrator, ahead) < 0.6
    assert coverage80_of(harder, ahead) > 0.68


def test_recent_errors_like_the_years_leave_the_intervals_alone() -> None:
    calibrator = SeasonalCalibrator.fit(*errors(364, winter_sd=0.02, summer_sd=0.01))
    same = calibrator.with_recent_errors(*recent(406, 1.0, seed=5), origins=6)
    assert 0.85 < same.recent_scale < 1.15
    milder = calibrator.with_recent_errors(*recent(406, 0.5, seed=5), origins=6)
    assert 0.5 < milder.recent_scale < 0.75


def test_a_single_recent_origin_barely_moves_the_intervals() -> None:
    calibrator = SeasonalCalibrator.fit(*errors(364, winter_sd=0.02, summer_sd=0.01))
    one = calibrator.with_recent_errors(*recent(406, 2.0, seed=5), origins=1)
    six = calibrator.with_recent_errors(*recent(406, 2.0, seed=5), origins=6)
    assert 1.0 < one.recent_scale < 1.35 < six.recent_scale  # 2 ** (1 / 3) = 1.26
