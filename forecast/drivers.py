"""What drives each day's forecast, in attendances that add up to the point forecast.

LightGBM (`pred_contrib`) explains the log of the forecast: log(point) = log(level) +
log(weekday profile) + bias + the sum of per-feature contributions. Features are grouped into
families (features.families); the offset's level and the bias go to "recent level", its weekday
profile to "weekday". The log-scale terms L_f are turned into attendances A_f that sum exactly to
the point by the logarithmic-mean (LMDI) allocation:

    A_recent = exp(L_recent)                          the trust's typical day as the model sees it
    A_f      = L_f * (point - A_recent) / (log point - log A_recent)    every other family

so a factor that multiplies demand by 1.1 adds about 10% of the day, its sign is kept, and the
order of the families does not matter. Baselines (seasonal naive, ETS, fallbacks) get the
equivalent plain decomposition: recent level (mean of the last 28 observed days), weekday (that
weekday's mean over the same 28 days against it), other (the rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from features.families import FAMILIES, Family, feature_families
from forecast.intervals import FloatArray
from forecast.protocol import ModelInput, TrustCode

LEVEL_DAYS = 28
DRIVER_SCHEMA: dict[str, pl.DataType] = {
    "trust_code": pl.String(), "date": pl.Date(), **{f: pl.Float64() for f in FAMILIES},
}


@dataclass(frozen=True)
class FamilyText:
    label: str
    explanation: str


# Plain words for a manager; the API adds the day's numbers.
FAMILY_TEXT: dict[Family, FamilyText] = {
    "recent_level": FamilyText(
        "Recent level", "the trust's typical day lately (its last four weeks, weekday-adjusted)"),
    "weekday": FamilyText("Day of the week", "how busy this weekday usually is at this trust"),
    "season": FamilyText("Time of year", "the usual seasonal rise or fall at this time of year"),
    "bank_holiday": FamilyText(
        "Bank holiday", "bank holidays, the days either side and the Christmas fortnight"),
    "temperature": FamilyText("Temperature", "the forecast temperature: heat and cold both bring "
                                             "people in"),
    "trend": FamilyText("Recent trend", "whether the trust has been busier or quieter in the last "
                                        "week or two than over the last month"),
    "flu_momentum": FamilyText(
        "Flu-season momentum", "whether demand is rising across all trusts, as in a winter "
                               "virus wave"),
    "other": FamilyText("Other", "everything else: how far ahead the day is, data gaps, the "
                                 "admissions mix"),
}


def lgbm_drivers(log_terms: Mapping[Family, FloatArray], point: FloatArray) -> FloatArray:
    """(n, len(FAMILIES)) attendances per family summing to `point` (LMDI, see module doc).

    `log_terms[f]` is family f's log-scale contribution per row; "recent_level" must be given.
    """
    start = np.exp(log_terms["recent_level"])
    weight = _log_mean(point, start)
    out = np.zeros((point.size, len(FAMILIES)))
    for j, family in enumerate(FAMILIES):
        if family == "recent_level":
            out[:, j] = start
        elif family in log_terms:
            out[:, j] = log_terms[family] * weight
    out[:, FAMILIES.index("other")] += point - out.sum(axis=1)  # float dust only
    return out


def lgbm_log_terms(
    contributions: FloatArray, names: list[str], log_level: FloatArray, profile: FloatArray,
) -> dict[Family, FloatArray]:
    """Group `pred_contrib` columns (features, then the expected value) into family log terms,
    adding the offset's split: log(level) to recent level, log(weekday profile) to weekday."""
    families = feature_families_for(names)
    terms: dict[Family, FloatArray] = {f: np.zeros(contributions.shape[0]) for f in FAMILIES}
    for j, name in enumerate(names):
        terms[families[name]] = terms[families[name]] + contributions[:, j]
    terms["recent_level"] = terms["recent_level"] + log_level + contributions[:, -1]
    terms["weekday"] = terms["weekday"] + np.log(profile)
    return terms


def feature_families_for(names: list[str]) -> dict[str, Family]:
    known = feature_families()
    return {name: known.get(name, "other") for name in names}


def baseline_drivers(history: pl.DataFrame, forecast: pl.DataFrame) -> pl.DataFrame:
    """DRIVER_SCHEMA for any model's forecast: recent level, weekday, other (the rest).

    `history`: trust_code, date, attendances up to the origin; `forecast`: trust_code, date,
    point, origin. Families a baseline has no notion of are null.
    """
    if forecast.is_empty():
        return pl.DataFrame(schema=DRIVER_SCHEMA)
    origin = forecast["origin"].max()
    assert isinstance(origin, date)
    recent = history.filter(pl.col("date") > origin - timedelta(days=LEVEL_DAYS),
                            pl.col("date") <= origin).with_columns(
        dow=pl.col("date").dt.weekday(), y=pl.col("attendances").cast(pl.Float64))
    level = recent.group_by("trust_code").agg(pl.col("y").mean().alias("recent_level"))
    by_dow = recent.group_by("trust_code", "dow").agg(pl.col("y").mean().alias("dow_mean"))
    frame = (
        forecast.select("trust_code", "date", "point")
        .with_columns(dow=pl.col("date").dt.weekday())
        .join(level, on="trust_code", how="left")
        .join(by_dow, on=["trust_code", "dow"], how="left")
        .with_columns(pl.col("recent_level").fill_null(pl.col("point")))
        .with_columns(weekday=(pl.col("dow_mean") - pl.col("recent_level")).fill_null(0.0))
        .with_columns(other=pl.col("point") - pl.col("recent_level") - pl.col("weekday"))
    )
    nulls = [pl.lit(None, dtype=pl.Float64).alias(f) for f in FAMILIES
             if f not in ("recent_level", "weekday", "other")]
    return frame.with_columns(*nulls).select(list(DRIVER_SCHEMA)).cast(DRIVER_SCHEMA)  # type: ignore[arg-type]


def explain(model: object, data: ModelInput, forecast: pl.DataFrame) -> pl.DataFrame:
    """DRIVER_SCHEMA rows for every (trust, date) of `forecast` (one origin), from the model that
    made it: LightGBM's own contributions where it served the trust, the baseline otherwise."""
    if forecast.is_empty():
        return pl.DataFrame(schema=DRIVER_SCHEMA)
    origin = forecast["origin"].max()
    horizon = forecast["horizon"].max()
    assert isinstance(origin, date) and isinstance(horizon, int)
    lgbm, trusts = _lgbm_member(model, forecast["trust_code"].unique().to_list())
    parts: list[pl.DataFrame] = []
    if lgbm is not None and trusts:
        parts.append(_lgbm_frame(lgbm, data, origin, horizon, forecast, trusts))
    rest = forecast.filter(~pl.col("trust_code").is_in(trusts))
    if not rest.is_empty():
        history = data.attendances.filter(pl.col("trust_code").is_in(rest["trust_code"].unique()))
        parts.append(baseline_drivers(history, rest))
    return pl.concat(parts).sort("trust_code", "date")


def _lgbm_member(model: object, trusts: list[TrustCode]) -> tuple[object | None, list[TrustCode]]:
    """The LightGBM model behind `model` and the trusts it served (the ensemble's choice)."""
    from forecast.lgbm import GlobalLightGBM

    if isinstance(model, GlobalLightGBM):
        return model, trusts
    members = getattr(model, "members", None)
    served = getattr(model, "last_members", {})
    if isinstance(members, dict):
        for name, member in members.items():
            if isinstance(member, GlobalLightGBM):
                return member, sorted(t for t in trusts if served.get(t) == name)
    return None, []


def _lgbm_frame(lgbm: object, data: ModelInput, origin: date, horizon: int,
                forecast: pl.DataFrame, trusts: list[TrustCode]) -> pl.DataFrame:
    from features.pipeline import feature_names
    from forecast.lgbm import GlobalLightGBM

    assert isinstance(lgbm, GlobalLightGBM)
    rows = lgbm.prediction_frame(data, origin, horizon).filter(pl.col("trust_code").is_in(trusts))
    served = rows.select("trust_code", "date").join(
        forecast.select("trust_code", "date", "point"), on=["trust_code", "date"], how="left")
    terms = lgbm_log_terms(lgbm.contributions(rows), feature_names(lgbm.features),
                           rows["log_level"].to_numpy(), rows["profile_target"].to_numpy())
    values = lgbm_drivers(terms, served["point"].to_numpy())
    return served.select("trust_code", "date").with_columns(
        *[pl.Series(f, values[:, j]) for j, f in enumerate(FAMILIES)]).cast(DRIVER_SCHEMA)  # type: ignore[arg-type]


def _log_mean(a: FloatArray, b: FloatArray) -> FloatArray:
    """(a - b) / (log a - log b), and a where a == b: the logarithmic mean."""
    a = np.maximum(a, 1e-9)
    b = np.maximum(b, 1e-9)
    diff = np.log(a) - np.log(b)
    close = np.abs(diff) < 1e-12
    safe = np.where(close, 1.0, diff)
    return np.asarray(np.where(close, a, (a - b) / safe), dtype=np.float64)
