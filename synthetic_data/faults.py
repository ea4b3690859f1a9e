"""Faults to test robustness: gaps, late starts, level shifts and a covid-like collapse.

Level shifts and the collapse change the world, so they change `expected`. Gaps and late
starts change what is observed: a gap drops the row (never a zero) but the day still has its
truth; a late-start trust does not exist before its first day, so it has no truth there either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic_data.calendar_effects import BoolArray, FloatArray, IntArray
from synthetic_data.seeding import stream

NO_SHIFT = -1


@dataclass(frozen=True)
class LevelShifts:
    """A permanent step of ±10-25% from `day` on (NO_SHIFT where none)."""

    day: IntArray  # (trusts,)
    size: FloatArray  # (trusts,), relative: +0.15 is 15% more
    multiplier: FloatArray  # (trusts, days)


@dataclass(frozen=True)
class Collapse:
    """A national drop and recovery; `start` is None when there is none."""

    start: int | None
    multiplier: FloatArray  # (trusts, days) on attendances
    depth: FloatArray  # (trusts, days): the fraction lost that day


def choose_trusts_for_faults(
    n_trusts: int, late: int, shifted: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Disjoint sets of trusts for late starts and level shifts while there are enough."""
    order = rng.permutation(n_trusts)
    late_ones = np.sort(order[:late])
    rest = order[late:] if late + shifted <= n_trusts else order[n_trusts - shifted :]
    return late_ones, np.sort(rest[:shifted])


def first_days(n_trusts: int, n_days: int, late: IntArray, rng: np.random.Generator) -> IntArray:
    """Index of each trust's first day: 0, or 60-270 days before the end for late starters."""
    first = np.zeros(n_trusts, dtype=np.int64)
    history = rng.integers(60, 271, size=late.size)
    first[late] = np.maximum(n_days - history, 0)
    return first


def level_shifts(
    n_days: int, chosen: IntArray, first: IntArray, rng: np.random.Generator
) -> LevelShifts:
    n_trusts = first.size
    day = np.full(n_trusts, NO_SHIFT, dtype=np.int64)
    size = np.zeros(n_trusts)
    earliest = np.maximum(first[chosen] + 30, int(0.2 * n_days))
    latest = np.maximum(earliest + 1, int(0.9 * n_days))
    day[chosen] = rng.integers(earliest, latest)
    size[chosen] = rng.choice([-1.0, 1.0], size=chosen.size) * rng.uniform(0.10, 0.25, chosen.size)
    after = (np.arange(n_days)[None, :] >= day[:, None]) & (day[:, None] != NO_SHIFT)
    return LevelShifts(day, size, np.where(after, 1.0 + size[:, None], 1.0))


def collapse(n_trusts: int, n_days: int, enabled: bool, rng: np.random.Generator) -> Collapse:
    """Demand falls ~40% (35-45% by trust) over 2 weeks, holds a week, recovers in ~3 months."""
    if not enabled:
        ones = np.ones((n_trusts, n_days))
        return Collapse(None, ones, np.zeros((n_trusts, n_days)))
    lowest = int(0.25 * n_days)
    start = int(rng.integers(lowest, max(lowest + 1, n_days - 120)))
    depth = rng.uniform(0.35, 0.45, size=(n_trusts, 1))
    recovery = rng.uniform(75.0, 105.0, size=(n_trusts, 1))
    t = np.arange(n_days, dtype=np.float64)[None, :] - start
    falling = _smoothstep(t / 14.0)
    rising = _smoothstep((t - 21.0) / recovery)
    lost = depth * falling * (1.0 - rising)
    return Collapse(start, 1.0 - lost, lost)


def _smoothstep(x: FloatArray) -> FloatArray:
    c = np.clip(x, 0.0, 1.0)
    result: FloatArray = c * c * (3.0 - 2.0 * c)
    return result


def gaps(
    n_trusts: int, n_days: int, fraction: float, first: IntArray, rng: np.random.Generator
) -> BoolArray:
    """Missing trust-days: 60% scattered single days, 40% in runs of 3-21 days."""
    missing = rng.random((n_trusts, n_days)) < 0.6 * fraction
    n_runs = rng.poisson(0.4 * fraction * n_days * n_trusts / 12.0)
    trusts = rng.integers(0, n_trusts, size=n_runs)
    starts = rng.integers(0, n_days, size=n_runs)
    lengths = rng.integers(3, 22, size=n_runs)
    for trust, start, length in zip(trusts, starts, lengths, strict=True):
        missing[trust, start : start + length] = True
    exists = np.arange(n_days)[None, :] >= first[:, None]
    result: BoolArray = missing & exists
    return result


@dataclass(frozen=True)
class Faults:
    """Every fault of one world. `exists` and `missing` are (trusts, days) masks."""

    first_day: IntArray
    shifts: LevelShifts
    collapse: Collapse
    missing: BoolArray

    @property
    def multiplier(self) -> FloatArray:
        """What the faults do to expected attendances."""
        result: FloatArray = self.shifts.multiplier * self.collapse.multiplier
        return result

    @property
    def exists(self) -> BoolArray:
        n_days = self.missing.shape[1]
        result: BoolArray = np.arange(n_days)[None, :] >= self.first_day[:, None]
        return result


def simulate(
    n_trusts: int,
    n_days: int,
    late_starts: int,
    shifted: int,
    with_collapse: bool,
    gap_fraction: float,
    seed: int,
) -> Faults:
    """All faults, each from its own random stream."""
    late, shift_trusts = choose_trusts_for_faults(
        n_trusts, late_starts, shifted, stream(seed, "faults.choice")
    )
    first = first_days(n_trusts, n_days, late, stream(seed, "faults.late"))
    return Faults(
        first_day=first,
        shifts=level_shifts(n_days, shift_trusts, first, stream(seed, "faults.shifts")),
        collapse=collapse(n_trusts, n_days, with_collapse, stream(seed, "faults.collapse")),
        missing=gaps(n_trusts, n_days, gap_fraction, first, stream(seed, "faults.gaps")),
    )
