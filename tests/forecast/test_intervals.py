import numpy as np
import pytest

from forecast.intervals import ResidualCalibrator


def _draws(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts around a point that is off by a horizon-growing relative error."""
    rng = np.random.default_rng(seed)
    horizon = rng.integers(1, 15, size=n).astype(np.int64)
    mu = rng.uniform(50, 600, size=n)
    truth = mu * np.exp(rng.normal(0, 0.01 + 0.002 * horizon))
    actual = rng.poisson(truth).astype(np.float64)
    return horizon, mu, actual


def test_intervals_cover_what_they_claim_on_new_data() -> None:
    calibrator = ResidualCalibrator.fit(*_draws(40_000, 1))
    horizon, point, actual = _draws(40_000, 2)
    bands = calibrator.intervals(horizon, point)
    cover80 = np.mean((actual >= bands["lo80"]) & (actual <= bands["hi80"]))
    cover95 = np.mean((actual >= bands["lo95"]) & (actual <= bands["hi95"]))
    assert cover80 == pytest.approx(0.80, abs=0.015)
    assert cover95 == pytest.approx(0.95, abs=0.01)
    # Wider at longer horizons, and ordered around the point.
    assert calibrator.scale(np.array([14]), np.array([300.0]))[0] > calibrator.scale(
        np.array([1]), np.array([300.0]))[0]
    assert np.all(bands["lo95"] <= bands["lo80"]) and np.all(bands["lo80"] <= point)
    assert np.all(point <= bands["hi80"]) and np.all(bands["hi80"] <= bands["hi95"])


def test_exceedance_probabilities_are_calibrated() -> None:
    calibrator = ResidualCalibrator.fit(*_draws(40_000, 3))
    horizon, point, actual = _draws(40_000, 4)
    threshold = point * 1.03
    p = calibrator.prob_exceed(horizon, point, threshold)
    exceeded = actual > threshold
    for low, high in [(0.1, 0.3), (0.3, 0.5)]:
        band = (p >= low) & (p < high)
        assert band.sum() > 500
        assert exceeded[band].mean() == pytest.approx(p[band].mean(), abs=0.03)


def test_too_few_residuals_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 30 residuals"):
        ResidualCalibrator.fit(np.ones(5, dtype=np.int64), np.ones(5) * 10, np.ones(5) * 10)
