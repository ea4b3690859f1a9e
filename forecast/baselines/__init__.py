"""Baseline models honouring the Forecaster protocol: seasonal naive, ETS and ARIMAX.

Names are imported on first use, so `from forecast.baselines.snaive import SeasonalNaive`
never pays for statsmodels.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forecast.baselines.arimax import ARIMAX
    from forecast.baselines.ets import ETS
    from forecast.baselines.snaive import SeasonalNaive

__all__ = ["ARIMAX", "ETS", "SeasonalNaive"]

_MODULES = {"ARIMAX": "arimax", "ETS": "ets", "SeasonalNaive": "snaive"}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
