"""Forecast reconciliation: project base forecasts of every node onto coherent ones.

Base forecasts ŷ (one per node, each from its own series) do not add up. A reconciled forecast
is S·G·ŷ: G maps all nodes to the bottom level and S sums back up, so parents equal the sum of
their children exactly. The trace-minimising G (MinT, Wickramasuriya, Athanasopoulos & Hyndman
2019) is G = (S'W⁻¹S)⁻¹S'W⁻¹ with W the covariance of the base forecast errors; with a few
hundred nodes and a few hundred residual vectors W is estimated with Schäfer–Strimmer shrinkage
of the correlations towards zero. Simpler choices of W are kept to compare in backtests:
`wls_var` (diagonal of the residual variances), `wls_struct` (number of leaves under a node),
`ols` (identity) and `bottom_up` (ignore every aggregate's own forecast).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Method = Literal["mint_shrink", "wls_var", "wls_struct", "ols", "bottom_up"]
METHODS: tuple[Method, ...] = ("mint_shrink", "wls_var", "wls_struct", "ols", "bottom_up")


@dataclass(frozen=True)
class Reconciler:
    """P = S·G (nodes x nodes): reconciled = P @ base, for any number of base vectors."""

    method: Method
    projection: FloatArray
    shrinkage: float | None = None

    def reconcile(self, base: FloatArray) -> FloatArray:
        """`base` shaped (nodes,) or (nodes, k); the coherent forecasts of the same shape."""
        return np.asarray(self.projection @ base, dtype=np.float64)


def fit_reconciler(summing: FloatArray, residuals: FloatArray | None,
                   method: Method = "mint_shrink") -> Reconciler:
    """G for `method`; `residuals` (observations x nodes, NaN-free) feed the covariance."""
    n_nodes, n_leaves = summing.shape
    shrinkage: float | None = None
    if method == "bottom_up":
        g = np.zeros((n_leaves, n_nodes))
        leaf_rows = [int(np.flatnonzero((summing[:, j] == 1) & (summing.sum(axis=1) == 1))[-1])
                     for j in range(n_leaves)]
        g[np.arange(n_leaves), leaf_rows] = 1.0
        return Reconciler(method, summing @ g)
    if method == "ols":
        w = np.eye(n_nodes)
    elif method == "wls_struct":
        w = np.diag(summing.sum(axis=1))
    else:
        if residuals is None or residuals.shape[0] < 2:
            raise ValueError(f"{method} needs at least 2 residual vectors")
        variance = np.maximum(np.mean(residuals**2, axis=0), 1e-9)
        if method == "wls_var":
            w = np.diag(variance)
        else:
            w, shrinkage = shrunk_covariance(residuals)
    return Reconciler(method, summing @ _mint_g(summing, w), shrinkage)


def _mint_g(summing: FloatArray, w: FloatArray) -> FloatArray:
    """(S'W⁻¹S)⁻¹S'W⁻¹, solved rather than inverted where it can be."""
    w_inv_s = np.linalg.solve(w, summing)                 # W⁻¹S
    left = summing.T @ w_inv_s                            # S'W⁻¹S
    return np.asarray(np.linalg.solve(left, w_inv_s.T), dtype=np.float64)


def shrunk_covariance(residuals: FloatArray) -> tuple[FloatArray, float]:
    """Schäfer–Strimmer (2005) shrinkage towards the diagonal; returns (W, lambda).

    lambda = sum of the estimated variances of the off-diagonal sample correlations over the
    sum of their squares, clipped to [0, 1] (as in the `hts` and `FoReco` packages).
    """
    t, _ = residuals.shape
    covariance = residuals.T @ residuals / t
    sd = np.sqrt(np.maximum(np.diag(covariance), 1e-12))
    correlation = covariance / np.outer(sd, sd)
    standard = residuals / sd
    variance = (standard**2).T @ (standard**2) / (t * (t - 1)) - (
        (standard.T @ standard) ** 2) / (t**2 * (t - 1))
    np.fill_diagonal(variance, 0.0)
    off = correlation - np.eye(correlation.shape[0])
    denominator = float(np.sum(off**2))
    lam = 1.0 if denominator == 0 else float(np.clip(np.sum(variance) / denominator, 0.0, 1.0))
    shrunk = lam * np.diag(np.diag(covariance)) + (1.0 - lam) * covariance
    return shrunk, lam
