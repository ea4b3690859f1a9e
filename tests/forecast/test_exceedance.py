"""P(attendances > N) read back from the five served quantiles."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from forecast.exceedance import KNOT_LEVELS, prob_exceed, prob_exceed_rows


def normal_knots(mu: float, sd: float) -> np.ndarray:
    return np.asarray(mu + sd * norm.ppf(KNOT_LEVELS))[None, :]


def test_exact_at_the_knots_and_for_a_normal_distribution() -> None:
    knots = normal_knots(300.0, 20.0)
    for level, value in zip(KNOT_LEVELS, knots[0], strict=True):
        assert prob_exceed(knots, value)[0] == pytest.approx(1 - level, abs=1e-9)
    for n in (240.0, 285.0, 300.0, 333.0, 380.0):  # between and beyond the knots
        assert prob_exceed(knots, n)[0] == pytest.approx(norm.sf(n, 300, 20), abs=1e-9)


def test_falls_as_the_threshold_rises_and_stays_a_probability() -> None:
    skewed = np.array([[250.0, 270.0, 300.0, 345.0, 390.0]])
    thresholds = np.linspace(100, 600, 501)
    p = np.array([prob_exceed(skewed, n)[0] for n in thresholds])
    assert np.all(np.diff(p) <= 1e-12) and p[0] == pytest.approx(1.0) and p[-1] < 1e-6
    assert np.all((p >= 0) & (p <= 1))


def test_one_threshold_per_row_and_plain_rows() -> None:
    rows = np.vstack([normal_knots(100, 10), normal_knots(500, 30)])
    p = prob_exceed(rows, np.array([100.0, 560.0]))
    assert p == pytest.approx([0.5, norm.sf(560, 500, 30)], abs=1e-9)
    assert prob_exceed_rows(rows.tolist(), 100.0)[0] == pytest.approx(0.5)
    assert prob_exceed_rows([], 100.0) == []


def test_a_flat_forecast_is_a_step() -> None:
    flat = np.full((1, 5), 40.0)
    assert prob_exceed(flat, 39.0)[0] == 1.0
    assert prob_exceed(flat, 40.0)[0] == 0.0
    tied = np.array([[10.0, 20.0, 20.0, 20.0, 30.0]])  # lo80 = point = hi80
    assert prob_exceed(tied, 20.0)[0] == pytest.approx(1 - KNOT_LEVELS[3])  # above hi80
    assert prob_exceed(tied, 19.999)[0] > prob_exceed(tied, 20.0)[0]


def test_refuses_the_wrong_shape() -> None:
    with pytest.raises(ValueError, match="shape"):
        prob_exceed(np.zeros((3, 4)), 1.0)
