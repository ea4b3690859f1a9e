"""Every model input mapped to the plain-language driver family it belongs to, in one place.

Families (what a manager would call them): weekday, season, bank holiday, temperature, recent
level, trend, flu-season momentum, other. "Flu-season momentum" is the whole population's recent
change (`national_momentum_*`): winter waves hit trusts together, and the pooled change is the
signal the model reads them from. The model's offset `log(base)` is split too: the trust's level
goes to "recent level", its weekday profile to "weekday" (see forecast.drivers).
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from features.config import DEFAULT_FEATURES, FeatureConfig
from features.pipeline import feature_names
from features.temperature import TEMPERATURE_COLUMNS

Family: TypeAlias = Literal["weekday", "season", "bank_holiday", "temperature", "recent_level",
                            "trend", "flu_momentum", "other"]
FAMILIES: tuple[Family, ...] = ("weekday", "season", "bank_holiday", "temperature",
                                "recent_level", "trend", "flu_momentum", "other")

_CALENDAR: dict[str, Family] = {
    "dow": "weekday", "doy": "season", "annual_sin1": "season", "annual_cos1": "season",
    "annual_sin2": "season", "annual_cos2": "season", "holiday_kind": "bank_holiday",
    "is_holiday": "bank_holiday", "after_holiday": "bank_holiday",
    "before_holiday": "bank_holiday", "xmas_index": "bank_holiday",
}
_HISTORY: dict[str, Family] = {
    "profile_target": "weekday", "log_level": "recent_level", "observed_w28": "recent_level",
    "history_days": "recent_level", "days_since_actual": "recent_level",
    "yearly_ratio": "season", "national_yearly_ratio": "season",
    "temperature_vs_recent": "temperature", "admissions_share_w28": "other", "horizon": "other",
}


def feature_families(config: FeatureConfig = DEFAULT_FEATURES) -> dict[str, Family]:
    """feature name -> family, for every name `feature_names(config)` lists (no gaps)."""
    mapping: dict[str, Family] = {**_CALENDAR, **_HISTORY}
    mapping.update({name: "temperature" for name in TEMPERATURE_COLUMNS})
    for name in config.momentum_names():
        mapping[name] = "trend"
        mapping[f"national_{name}"] = "flu_momentum"
    names = feature_names(config)
    missing = [n for n in names if n not in mapping]
    if missing:  # a new feature must be given a family here, not silently called "other"
        raise KeyError(f"features without a driver family: {missing}")
    return {n: mapping[n] for n in names}


