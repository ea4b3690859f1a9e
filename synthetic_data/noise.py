"""The count distribution around the expected value: Poisson or negative binomial.

Quantiles are exact (smallest k with CDF(k) >= q), found from a Cornish-Fisher start and a
vectorised walk on the probability mass, so an oracle forecaster can be scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from synthetic_data.calendar_effects import FloatArray, IntArray


@dataclass(frozen=True)
class CountDistribution:
    """Poisson when `size` is None, else negative binomial with var = mu + mu^2 / size."""

    size: float | None

    def sample(self, mu: FloatArray, rng: np.random.Generator) -> IntArray:
        if self.size is None:
            return rng.poisson(mu).astype(np.int64)
        return rng.negative_binomial(self.size, self.size / (self.size + mu)).astype(np.int64)

    def cdf(self, k: FloatArray, mu: FloatArray) -> FloatArray:
        if self.size is None:
            result: FloatArray = special.gammaincc(k + 1.0, mu)
        else:
            result = special.betainc(self.size, k + 1.0, self.size / (self.size + mu))
        return result

    def pmf(self, k: FloatArray, mu: FloatArray) -> FloatArray:
        if self.size is None:
            log_p = k * np.log(mu) - mu - special.gammaln(k + 1.0)
        else:
            r = self.size
            log_p = (
                special.gammaln(k + r)
                - special.gammaln(r)
                - special.gammaln(k + 1.0)
                + r * np.log(r / (r + mu))
                + k * np.log(mu / (r + mu))
            )
        result: FloatArray = np.exp(log_p)
        return result

    def quantile(self, q: float, mu: FloatArray) -> FloatArray:
        """Smallest integer k with CDF(k) >= q, elementwise (returned as float)."""
        flat = np.asarray(mu, dtype=np.float64).ravel()
        k = np.maximum(np.floor(self._cornish_fisher(q, flat) + 0.5), 0.0)
        cdf = self.cdf(k, flat)
        mass = self.pmf(k, flat)  # pmf at the current k
        for _ in range(100):
            down = np.flatnonzero((k > 0) & (cdf - mass >= q))
            cdf[down] -= mass[down]
            k[down] -= 1.0
            mass[down] = self.pmf(k[down], flat[down])
            up = np.flatnonzero(cdf < q)
            k[up] += 1.0
            mass[up] = self.pmf(k[up], flat[up])
            cdf[up] += mass[up]
            if down.size == 0 and up.size == 0:
                break
        return k.reshape(np.shape(mu))

    def _cornish_fisher(self, q: float, mu: FloatArray) -> FloatArray:
        inv = 0.0 if self.size is None else 1.0 / self.size
        variance = mu * (1.0 + mu * inv)
        skew = mu * (1.0 + mu * inv) * (1.0 + 2.0 * mu * inv) / variance**1.5
        z = float(special.ndtri(q))
        result: FloatArray = mu + np.sqrt(variance) * (z + skew * (z * z - 1.0) / 6.0) - 0.5
        return result
