"""Build one synthetic world from a `SynthConfig`: every step vectorised over (trusts, days)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl

from synthetic_data import calendar_effects as cal_fx
from synthetic_data import demand as dem
from synthetic_data import faults as flt
from synthetic_data import hierarchy as hier
from synthetic_data import respiratory, temperature
from synthetic_data.calendar_effects import Calendar, FloatArray, IntArray
from synthetic_data.calibration import REGIONS, choose_trusts
from synthetic_data.config import SynthConfig
from synthetic_data.frames import long_frame
from synthetic_data.noise import CountDistribution
from synthetic_data.seeding import stream
from synthetic_data.temperature_forecast import forecast_table

log = logging.getLogger(__name__)

LEAD_IN_DAYS = 14  # temperature simulated before the start, so lagged effects are complete
QUANTILES = {"median": 0.5, "lo80": 0.1, "hi80": 0.9, "lo95": 0.025, "hi95": 0.975}


@dataclass(frozen=True)
class SyntheticData:
    """The frames of one world (see `write` for the files).

    attendances: trust_code, date, attendances, admissions; gap days are absent rows.
    temperature: trust_code, date, temperature_c, from the start to `future_temperature_days`
        after the end.
    truth: one row per trust-day that exists in the synthetic world, including the days
        dropped as gaps (`observed` is False there) but not the days before a late-start
        trust's first day. `expected` is the true mean; `median`, `lo80`, `hi80`, `lo95`,
        `hi95` the true count distribution's quantiles (an oracle forecast); then
        `expected_admissions`, `admissions_median` (the admissions oracle) and the
        multipliers whose product is `expected`.
    trusts: trust_code, region, nation, calibration columns, first_date and any level shift.
    temperature_forecast: issue_date, trust_code, date, lead_days, temperature_c, or None.
    hierarchy: site_code (null for a single-site trust), trust_code, ics_code, region, nation.
    site_attendances / site_truth: as attendances / truth (expected, quantiles, observed) for
        the sites of multi-site trusts, the site code in `trust_code`; they sum to the trust's.
    """

    attendances: pl.DataFrame
    temperature: pl.DataFrame
    truth: pl.DataFrame
    trusts: pl.DataFrame
    temperature_forecast: pl.DataFrame | None
    hierarchy: pl.DataFrame
    site_attendances: pl.DataFrame
    site_truth: pl.DataFrame


def generate(config: SynthConfig) -> SyntheticData:
    """The same config (seed included) always gives the same data."""
    seed = config.seed
    trusts = choose_trusts(config.trusts, stream(seed, "trusts"))
    codes = trusts["trust_code"].to_list()
    region_index = np.array([REGIONS.index(r) for r in trusts["region"]], dtype=np.int64)
    history = Calendar.between(config.start, config.end)
    world = Calendar.between(
        config.start - timedelta(days=LEAD_IN_DAYS),
        config.end + timedelta(days=config.future_temperature_days),
    )
    regional = temperature.regional_temperature(world, REGIONS, stream(seed, "temperature"))
    temps = temperature.trust_temperature(regional, region_index, stream(seed, "temperature.trust"))
    in_history = slice(LEAD_IN_DAYS, LEAD_IN_DAYS + len(history))
    faults = flt.simulate(
        len(codes),
        len(history),
        config.late_starts,
        config.level_shifts,
        config.collapse,
        config.gaps,
        seed,
    )
    demand = _demand(config, trusts, region_index, history, temps, in_history, faults)
    log.info("simulated %d trusts over %d days", len(codes), len(history))
    attendances = _attendances(config, codes, history, demand, faults)
    sites = hier.choose_sites(codes, history, stream(seed, "sites"))
    regions = trusts["region"].to_list()
    ics = hier.assign_ics(codes, regions, stream(seed, "ics"))
    site_attendances, site_truth = _sites(config, history, demand, faults, sites)
    return SyntheticData(
        attendances=attendances,
        temperature=long_frame(
            codes, world.dates[LEAD_IN_DAYS:], {"temperature_c": temps[:, LEAD_IN_DAYS:]}
        ),
        truth=_truth(config, codes, history, demand, faults),
        trusts=_trusts_frame(trusts, history, faults),
        temperature_forecast=_temperature_forecast(config, codes, region_index, world, temps),
        hierarchy=hier.hierarchy_frame(codes, regions, trusts["nation"].to_list(), ics, sites),
        site_attendances=site_attendances,
        site_truth=site_truth,
    )


def _demand(
    config: SynthConfig,
    trusts: pl.DataFrame,
    region_index: IntArray,
    history: Calendar,
    temps: FloatArray,
    in_history: slice,
    faults: flt.Faults,
) -> dem.Demand:
    seed, n = config.seed, trusts.height
    level = trusts["mean_daily_attendances"].to_numpy().astype(np.float64)
    holiday = cal_fx.holiday_effects(history, n, stream(seed, "holidays"))
    weekly = cal_fx.weekly_profile(history, n, stream(seed, "weekly"))
    excess = respiratory.respiratory_excess(
        history, region_index, len(REGIONS), stream(seed, "respiratory")
    )
    temp_effect = temperature.temperature_effect(temps, stream(seed, "temperature.effect"))
    base_ratio = trusts["admissions_ratio"].to_numpy().astype(np.float64)
    return dem.Demand(
        level_trend=dem.level_trend(history, level, stream(seed, "trend")),
        weekly=cal_fx.damp_weekly(weekly, holiday.weekly_damped),
        annual=cal_fx.annual_seasonality(history, n, stream(seed, "annual")),
        holiday=holiday.multiplier,
        temperature=temp_effect[:, in_history],
        respiratory=1.0 + excess,
        faults=faults.multiplier,
        admissions_ratio=dem.admissions_ratio(history, base_ratio, excess, faults.collapse.depth),
    )


def _counts(config: SynthConfig, demand: dem.Demand) -> tuple[IntArray, IntArray]:
    """Attendances and admissions for every trust-day (so faults never move them)."""
    counts = CountDistribution(config.overdispersion)
    attendances = counts.sample(demand.expected, stream(config.seed, "attendances"))
    admissions = stream(config.seed, "admissions").binomial(attendances, demand.admissions_ratio)
    return attendances, admissions.astype(np.int64)


def _attendances(
    config: SynthConfig, codes: list[str], history: Calendar, demand: dem.Demand, faults: flt.Faults
) -> pl.DataFrame:
    """Counts drawn for every trust-day, then the absent dropped."""
    attendances, admissions = _counts(config, demand)
    return long_frame(
        codes,
        history.dates,
        {"attendances": attendances, "admissions": admissions},
        keep=faults.exists & ~faults.missing,
    )


def _sites(
    config: SynthConfig, history: Calendar, demand: dem.Demand, faults: flt.Faults,
    sites: hier.Sites,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Site attendances (a split of the trust's counts) and site truth, for multi-site trusts."""
    attendances, admissions = _counts(config, demand)
    owner = sites.trust_index
    rng = stream(config.seed, "sites.split")
    site_attendances = hier.split_counts(attendances, sites, rng)
    site_admissions = hier.split_admitted(admissions, attendances, site_attendances, sites, rng)
    expected = demand.expected[owner] * sites.share
    dist = CountDistribution(config.overdispersion)
    truth: dict[str, np.ndarray] = {"expected": expected}
    truth.update({name: dist.quantile(q, expected) for name, q in QUANTILES.items()})
    truth["observed"] = ~faults.missing[owner]
    observed = faults.exists[owner] & ~faults.missing[owner]
    counts = {"attendances": site_attendances, "admissions": site_admissions}
    return (
        long_frame(sites.codes, history.dates, counts, keep=observed),
        long_frame(sites.codes, history.dates, truth, keep=faults.exists[owner]),
    )


def _truth(
    config: SynthConfig, codes: list[str], history: Calendar, demand: dem.Demand, faults: flt.Faults
) -> pl.DataFrame:
    expected = demand.expected
    counts = CountDistribution(config.overdispersion)
    columns: dict[str, np.ndarray] = {"expected": expected}
    columns.update({name: counts.quantile(q, expected) for name, q in QUANTILES.items()})
    columns.update(
        expected_admissions=demand.expected_admissions,
        # Thinning a Poisson or negative binomial count keeps its family and size, so the
        # admissions noise floor is the same distribution at the admissions mean.
        admissions_median=counts.quantile(0.5, demand.expected_admissions),
        observed=~faults.missing,
        level_trend=demand.level_trend,
        weekly=demand.weekly,
        annual=demand.annual,
        holiday=demand.holiday,
        temperature_effect=demand.temperature,
        respiratory=demand.respiratory,
        faults=demand.faults,
    )
    return long_frame(codes, history.dates, columns, keep=faults.exists)


def _trusts_frame(trusts: pl.DataFrame, history: Calendar, faults: flt.Faults) -> pl.DataFrame:
    shifts = faults.shifts
    shift_dates = [
        history.dates[day].item() if day != flt.NO_SHIFT else None for day in shifts.day.tolist()
    ]
    sizes = [
        float(size) if day != flt.NO_SHIFT else None
        for day, size in zip(shifts.day.tolist(), shifts.size.tolist(), strict=True)
    ]
    return trusts.with_columns(
        first_date=pl.Series(history.dates[faults.first_day]).cast(pl.Date),
        level_shift_date=pl.Series(shift_dates, dtype=pl.Date),
        level_shift=pl.Series(sizes, dtype=pl.Float64),
    )


def _temperature_forecast(
    config: SynthConfig,
    codes: list[str],
    region_index: IntArray,
    world: Calendar,
    temps: FloatArray,
) -> pl.DataFrame | None:
    if not config.temperature_forecast:
        return None
    issue_days = np.arange(LEAD_IN_DAYS, len(world) - config.future_temperature_days)
    return forecast_table(
        codes,
        region_index,
        world.dates,
        temps,
        issue_days,
        config.future_temperature_days,
        stream(config.seed, "temperature.forecast"),
    )
