"""Winter respiratory (flu) waves: different every winter, shared by the trusts of a region.

Each winter has a national wave (peak between late November and mid February, amplitude 2-12%,
full width at half maximum 3-8 weeks); each region shifts its timing (sd 7 days) and scales its
amplitude (lognormal sd 0.25); each trust scales a little more (sd 0.1).
"""

from __future__ import annotations

import numpy as np

from synthetic_data.calendar_effects import Calendar, FloatArray, IntArray

FWHM_TO_SD = 1.0 / 2.3548


def respiratory_excess(
    cal: Calendar, region_index: IntArray, n_regions: int, rng: np.random.Generator
) -> FloatArray:
    """Fractional excess demand from respiratory waves, shaped (trusts, days), >= 0."""
    regional = np.zeros((n_regions, len(cal)))
    day = cal.day_index.astype(np.float64)[None, :]
    for year in cal.year_span:
        earliest = np.datetime64(f"{year - 1}-11-25").astype(np.int64)
        peak = earliest + rng.uniform(0.0, 77.0)
        amplitude = 0.02 + 0.10 * rng.beta(1.3, 2.0)
        sd = rng.uniform(3.0, 8.0) * 7.0 * FWHM_TO_SD
        region_peak = peak + rng.normal(0.0, 7.0, size=(n_regions, 1))
        region_amplitude = np.clip(
            amplitude * rng.lognormal(0.0, 0.25, size=(n_regions, 1)), 0.01, 0.15
        )
        regional += region_amplitude * np.exp(-0.5 * ((day - region_peak) / sd) ** 2)
    trust_scale = rng.lognormal(0.0, 0.1, size=(region_index.size, 1))
    result: FloatArray = regional[region_index] * trust_scale
    return result
