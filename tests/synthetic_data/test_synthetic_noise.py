"""The count distribution: exact quantiles (an oracle can be scored) and honest sampling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from synthetic_data.noise import CountDistribution

MU = np.array([[0.5, 3.0, 47.3, 120.0], [250.5, 401.2, 733.9, 1200.0]])


@pytest.mark.parametrize("q", [0.025, 0.1, 0.5, 0.9, 0.975])
def test_negative_binomial_quantiles_match_scipy(q: float) -> None:
    size = 300.0
    expected = stats.nbinom.ppf(q, size, size / (size + MU))
    assert np.array_equal(CountDistribution(size).quantile(q, MU), expected)


@pytest.mark.parametrize("q", [0.025, 0.1, 0.5, 0.9, 0.975])
def test_poisson_quantiles_match_scipy(q: float) -> None:
    assert np.array_equal(CountDistribution(None).quantile(q, MU), stats.poisson.ppf(q, MU))


def test_negative_binomial_variance_is_mu_plus_mu_squared_over_size() -> None:
    mu = np.full(200_000, 300.0)
    draws = CountDistribution(300.0).sample(mu, np.random.default_rng(0))
    assert draws.dtype == np.int64 and draws.min() >= 0
    assert abs(draws.mean() / 300.0 - 1.0) < 0.005
    assert abs(draws.var() / (300.0 + 300.0**2 / 300.0) - 1.0) < 0.03


def test_poisson_variance_equals_mean() -> None:
    draws = CountDistribution(None).sample(np.full(200_000, 80.0), np.random.default_rng(0))
    assert abs(draws.var() / 80.0 - 1.0) < 0.03
